// HTTP basic authentication against the broker's users, and RabbitMQ's management authorisation:
// user tags grant levels (management < policymaker, monitoring < administrator), vhost access comes
// from permissions, and operations on resources check the configure/write/read regular expressions.
import { type Access, isPermitted, type ResourceKind, type User } from '../auth/index.js'
import type { VHost } from '../core/index.js'
import { isLoopback } from '../shared/index.js'
import type { ManagementContext } from './context.js'
import { accessRefused, HttpError, notAuthorised, REALM_HEADER } from './http-errors.js'

export type Level = 'management' | 'policymaker' | 'monitoring' | 'administrator'

const LEVEL_REASON: Record<Level, string> = {
  management: 'Not management user',
  policymaker: 'User not authorised to access object',
  monitoring: 'Not monitor user',
  administrator: 'Not administrator user',
}

export function hasLevel(user: User, level: Level): boolean {
  const tags = user.tags
  if (tags.includes('administrator')) return true
  switch (level) {
    case 'administrator':
      return false
    case 'monitoring':
      return tags.includes('monitoring')
    case 'policymaker':
      return tags.includes('policymaker')
    case 'management':
      return tags.includes('monitoring') || tags.includes('policymaker') || tags.includes('management')
  }
}

export interface AuthRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly ip: string
}

/** The logged-in user, or the 401 RabbitMQ answers with. */
export function authenticate(ctx: ManagementContext, req: AuthRequest, level: Level): User {
  const header = req.headers['authorization']
  const m = typeof header === 'string' ? /^Basic\s+(\S+)\s*$/i.exec(header) : null
  if (!m) throw new HttpError(401, '', undefined, REALM_HEADER)
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const name = colon < 0 ? decoded : decoded.slice(0, colon)
  const user = colon < 0 ? undefined : ctx.users.authenticate(name, decoded.slice(colon + 1))
  if (!user) throw new HttpError(401, 'not_authorized', 'Login failed', REALM_HEADER)
  if (ctx.loopbackUsers.includes(user.name) && !isLoopback(req.ip)) {
    throw notAuthorised('User can only log in via localhost')
  }
  if (!hasLevel(user, 'management')) throw notAuthorised(LEVEL_REASON.management)
  if (!hasLevel(user, level)) throw notAuthorised(LEVEL_REASON[level])
  return user
}

/** Monitors and administrators see every vhost; other users the vhosts they have permissions in. */
export function canSeeVhost(ctx: ManagementContext, user: User, vhost: string): boolean {
  return hasLevel(user, 'monitoring') || ctx.users.permission(user.name, vhost) !== undefined
}

export function visibleVhosts(ctx: ManagementContext, user: User): VHost[] {
  return [...ctx.broker.vhosts.values()].filter((v) => canSeeVhost(ctx, user, v.name))
}

/** Reads of one vhost's objects: 401 unless the user may see the vhost (a missing vhost is a 404 later). */
export function requireVhostVisible(ctx: ManagementContext, user: User, vhost: string): void {
  if (!ctx.broker.vhosts.has(vhost)) return
  if (!canSeeVhost(ctx, user, vhost)) throw notAuthorised('User not authorised to access virtual host')
}

/** Changes in a vhost: administrators pass, others need a permission entry there. */
export function requireVhostAccess(ctx: ManagementContext, user: User, vhost: string): void {
  if (!ctx.broker.vhosts.has(vhost) || hasLevel(user, 'administrator')) return
  if (!ctx.users.permission(user.name, vhost)) {
    throw notAuthorised('User not authorised to access virtual host')
  }
}

/** 401 "Access refused." unless `user` holds `access` permission on the resource in `vhost`. */
export function checkResource(
  ctx: ManagementContext,
  user: User,
  vhost: string,
  access: Access,
  kind: ResourceKind,
  name: string,
): void {
  if (!isPermitted(ctx.users, user.name, vhost, access, kind, name)) throw accessRefused()
}
