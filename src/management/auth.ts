// HTTP basic authentication against the broker's users, and RabbitMQ's management authorisation:
// user tags grant levels (management < policymaker, monitoring < administrator), vhost access comes
// from permissions, and operations on resources check the configure/write/read regular expressions.
// docs/security.md has the resulting table; test/management/tag-rules-table.ts checks it.
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

/**
 * The logged-in user, or the 401 RabbitMQ answers with. A request with credentials counts as a login
 * attempt (Prometheus' rabbitmq_auth_attempts_*, protocol "http"): failed whenever it is refused, as
 * RabbitMQ counts them; one without credentials is not an attempt.
 */
export function authenticate(ctx: ManagementContext, req: AuthRequest, level: Level): User {
  const header = req.headers['authorization']
  const m = typeof header === 'string' ? /^Basic\s+(\S+)\s*$/i.exec(header) : null
  if (!m) throw new HttpError(401, '', undefined, REALM_HEADER)
  let ok = false
  try {
    const user = checkLogin(ctx, m[1] as string, req.ip, level)
    ok = true
    return user
  } finally {
    ctx.broker.authAttempts.record('http', ok)
  }
}

function checkLogin(ctx: ManagementContext, basic: string, ip: string, level: Level): User {
  const decoded = Buffer.from(basic, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const name = colon < 0 ? decoded : decoded.slice(0, colon)
  const user = colon < 0 ? undefined : ctx.users.authenticate(name, decoded.slice(colon + 1))
  if (!user) throw new HttpError(401, 'not_authorized', 'Login failed', REALM_HEADER)
  if (ctx.loopbackUsers.includes(user.name) && !isLoopback(ip)) {
    throw notAuthorised('User can only log in via localhost')
  }
  if (!hasLevel(user, 'management')) throw notAuthorised(LEVEL_REASON.management)
  if (!hasLevel(user, level)) throw notAuthorised(LEVEL_REASON[level])
  return user
}

/** A permission entry in `vhost` (RabbitMQ's vhost access check, for the internal user backend). */
export function hasVhostAccess(ctx: ManagementContext, user: User, vhost: string): boolean {
  return ctx.users.permission(user.name, vhost) !== undefined
}

/** RabbitMQ's visible vhosts (GET /api/vhosts, the overview): monitors see all, others their own. */
export function visibleVhosts(ctx: ManagementContext, user: User): VHost[] {
  const all = hasLevel(user, 'monitoring')
  return [...ctx.broker.vhosts.values()].filter((v) => all || hasVhostAccess(ctx, user, v.name))
}

/**
 * The vhosts whose queues, exchanges, bindings and policies a list shows (RabbitMQ's filter_vhost):
 * administrators see all, everyone else, monitors included, the vhosts they hold permissions in.
 */
export function listedVhosts(ctx: ManagementContext, user: User): VHost[] {
  const all = hasLevel(user, 'administrator')
  return [...ctx.broker.vhosts.values()].filter((v) => all || hasVhostAccess(ctx, user, v.name))
}

const NO_VHOST_ACCESS = 'User not authorised to access virtual host'

/** A vhost's objects, read or changed: administrators pass, others need permissions there. */
export function requireVhostAccess(ctx: ManagementContext, user: User, vhost: string): void {
  if (!ctx.broker.vhosts.has(vhost) || hasLevel(user, 'administrator')) return // a missing vhost: 404 later
  if (!hasVhostAccess(ctx, user, vhost)) throw notAuthorised(NO_VHOST_ACCESS)
}

/** A vhost's limits: like requireVhostAccess, but monitors pass too (the vhost is visible to them). */
export function requireVhostVisible(ctx: ManagementContext, user: User, vhost: string): void {
  if (!ctx.broker.vhosts.has(vhost) || hasLevel(user, 'monitoring')) return
  requireVhostAccess(ctx, user, vhost)
}

/** Policies and parameters of a vhost: administrators, or policymakers with permissions there. */
export function requirePolicyAccess(ctx: ManagementContext, user: User, vhost: string): void {
  if (!ctx.broker.vhosts.has(vhost) || hasLevel(user, 'administrator')) return
  if (!hasLevel(user, 'policymaker') || !hasVhostAccess(ctx, user, vhost)) {
    throw notAuthorised(LEVEL_REASON.policymaker)
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
