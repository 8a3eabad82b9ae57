// Resource permissions as RabbitMQ checks them: per user and vhost, a configure, a write and a read
// regular expression, matched (unanchored, as Erlang's re:run does) against the resource name; an
// empty expression means '^$'. The default exchange is checked under the name 'amq.default'.
import { AccessRefusedError } from '../shared/index.js'
import type { Permission, UserRegistry } from './users.js'

export type Access = 'configure' | 'write' | 'read'
export type ResourceKind = 'exchange' | 'queue'

const compiled = new WeakMap<Permission, Record<Access, RegExp | undefined>>()

function regexFor(p: Permission, access: Access): RegExp | undefined {
  let c = compiled.get(p)
  if (!c) compiled.set(p, (c = { configure: undefined, write: undefined, read: undefined }))
  let re = c[access]
  if (!re) {
    const source = p[access] === '' ? '^$' : p[access]
    try {
      re = new RegExp(source, 'u')
    } catch {
      re = /(?!)/ // an expression JavaScript cannot compile grants nothing
    }
    c[access] = re
  }
  return re
}

export function isPermitted(
  users: UserRegistry,
  user: string,
  vhost: string,
  access: Access,
  name: string,
): boolean {
  const p = users.permission(user, vhost)
  return p !== undefined && (regexFor(p, access) as RegExp).test(name)
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
  const resource = kind === 'exchange' && name === '' ? 'amq.default' : name
  if (!isPermitted(users, user, vhost, access, resource)) {
    throw new AccessRefusedError(
      `access to ${kind} '${resource}' in vhost '${vhost}' refused for user '${user}'`,
    )
  }
}
