// Resource permissions as RabbitMQ checks them: per user and vhost, a configure, a write and a read
// regular expression, matched (unanchored, as Erlang's re:run does) against the resource name; an
// empty expression means '^$'. The default exchange is checked under the name 'amq.default'. This is
// the one check, used by AMQP methods and by the management API alike; the expressions are compiled
// by shared/user-pattern.ts (RE2, cached), so a pattern accepted on save is enforced the same way
// everywhere. Topic permissions add, per user, vhost and topic exchange, a write and a read expression
// on routing keys, in which {username} and {vhost} stand for the user's name and the vhost.
import type { Access, Authorizer, ResourceKind, TopicAccess } from '../core/index.js'
import { AccessRefusedError, checkUserPattern, userPattern } from '../shared/index.js'
import type { Permission, TopicGrant, TopicPermission, UserRegistry } from './users.js'

export type { Access, ResourceKind, TopicAccess }

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

/**
 * Whether topic permission `p` lets `user` in `vhost` use `routingKey` for `access`. As RabbitMQ does,
 * the variables are replaced by their values as they are (not escaped), then the expression is matched
 * unanchored; an empty expression means '^$'.
 */
export function topicPermits(
  p: TopicPermission,
  access: TopicAccess,
  user: string,
  vhost: string,
  routingKey: string,
): boolean {
  const source = p[access] === '' ? '^$' : p[access]
  const expanded = source.replaceAll('{username}', user).replaceAll('{vhost}', vhost)
  return userPattern(expanded).test(routingKey)
}

/** Why a permission's expressions cannot be saved (RE2 refuses one), or undefined when they can. */
export function checkPermission(
  p: Permission | Omit<TopicPermission, 'exchange'>,
): { pattern: string; reason: string } | undefined {
  const patterns = 'configure' in p ? [p.configure, p.write, p.read] : [p.write, p.read]
  for (const pattern of patterns) {
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

  topicGrant(user: string, vhost: string): TopicGrant | undefined {
    return this.users.topicGrant(user, vhost)
  }

  checkTopic(user: string, vhost: string, access: TopicAccess, exchange: string, routingKey: string): void {
    const p = this.users.topicGrant(user, vhost)?.get(exchange)
    if (p === undefined || topicPermits(p, access, user, vhost, routingKey)) return
    throw new AccessRefusedError(
      `access to topic '${routingKey}' in exchange '${exchange}' in vhost '${vhost}' refused for user '${user}'`,
    )
  }
}
