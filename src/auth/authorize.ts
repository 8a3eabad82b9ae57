// Resource permissions as RabbitMQ checks them: per user and vhost, a configure, a write and a read
// regular expression, matched (unanchored, as Erlang's re:run does) against the resource name; an
// empty expression means '^$'. The default exchange is checked under the name 'amq.default'. This is
// the one check, used by AMQP methods and by the management API alike; the expressions are compiled
// by shared/user-pattern.ts (RE2, cached), so a pattern accepted on save is enforced the same way
// everywhere.
import type { Access, Authorizer, ResourceKind } from '../core/index.js'
import { AccessRefusedError, checkUserPattern, userPattern } from '../shared/index.js'
import type { Permission, UserRegistry } from './users.js'

export type { Access, ResourceKind }

/** The name a resource is checked under: RabbitMQ names the default exchange 'amq.default'. */
export function resourceName(kind: ResourceKind, name: string): string {
  return kind === 'exchange' && name === '' ? 'amq.default' : name
}

/** Whether permission `p` grants `access` to the resource; no permission grants nothing. */
export function permits(
  p: Permission | undefined,
  access: Access,
  kind: ResourceKind,
  name: string,
): boolean {
  if (p === undefined) return false
  const source = p[access] === '' ? '^$' : p[access]
  return userPattern(source).test(resourceName(kind, name))
}

/** Why a permission's expressions cannot be saved (RE2 refuses one), or undefined when they can. */
export function checkPermission(p: Permission): { pattern: string; reason: string } | undefined {
  for (const pattern of [p.configure, p.write, p.read]) {
    const reason = checkUserPattern(pattern)
    if (reason !== undefined) return { pattern, reason }
  }
  return undefined
}

export function isPermitted(
  users: UserRegistry,
  user: string,
  vhost: string,
  access: Access,
  kind: ResourceKind,
  name: string,
): boolean {
  return permits(users.permission(user, vhost), access, kind, name)
}

/** Throws RabbitMQ's 403 when `user` may not `access` the resource. */
export function checkPermitted(
  users: UserRegistry,
  user: string,
  vhost: string,
  access: Access,
  kind: ResourceKind,
  name: string,
): void {
  if (!isPermitted(users, user, vhost, access, kind, name)) {
    throw new AccessRefusedError(
      `access to ${kind} '${resourceName(kind, name)}' in vhost '${vhost}' refused for user '${user}'`,
    )
  }
}

/** The core's Authorizer over the user registry's permissions. */
export class PermissionAuthorizer implements Authorizer {
  constructor(private readonly users: UserRegistry) {}

  check(user: string, vhost: string, access: Access, kind: ResourceKind, name: string): void {
    checkPermitted(this.users, user, vhost, access, kind, name)
  }

  grant(user: string, vhost: string): Permission | undefined {
    return this.users.permission(user, vhost)
  }
}
