// Vhosts, users and permissions in RabbitMQ's JSON shape.
import {
  hashPassword,
  HASHING_ALGORITHM,
  type Permission,
  type TopicPermission,
  type User,
} from '../../auth/index.js'
import { type Limits, limitsProblem, USER_LIMITS, type VHost } from '../../core/index.js'
import type { ManagementContext, VhostMeta } from '../context.js'
import { badRequest } from '../http-errors.js'
import type { Item } from '../listing.js'
import type { Sample } from '../rates.js'
import { FULL_MESSAGE_STATS, formatMessageStats, vhostSample, withDetails } from './stats.js'

export function vhostMeta(ctx: ManagementContext, name: string): VhostMeta {
  return ctx.vhostMeta.get(name) ?? { description: '', tags: [] }
}

export function formatVhost(ctx: ManagementContext, v: VHost, traffic: Sample | undefined): Item {
  const meta = vhostMeta(ctx, v.name)
  const values = vhostSample(v, traffic)
  const rates = ctx.rates.ratesOf(v)
  const out: Item = {
    cluster_state: { [ctx.nodeName]: 'running' },
    default_queue_type: 'undefined',
    description: meta.description,
    message_stats: formatMessageStats(values, rates, FULL_MESSAGE_STATS),
  }
  withDetails(out, values, rates, ['messages', 'messages_ready', 'messages_unacknowledged'])
  out['metadata'] = { description: meta.description, tags: meta.tags }
  out['name'] = v.name
  withDetails(out, values, rates, ['recv_oct', 'send_oct'])
  out['tags'] = meta.tags
  out['tracing'] = v.tracing
  return out
}

export function formatUser(u: User): Item {
  return {
    name: u.name,
    password_hash: u.passwordHash,
    hashing_algorithm: HASHING_ALGORITHM,
    tags: [...u.tags],
    limits: userLimits(u),
  }
}

/** A user's limits as RabbitMQ shows them (an Erlang map: keys in order). */
export function userLimits(u: User): Limits {
  return Object.fromEntries(Object.entries(u.limits ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)))
}

/** A user PUT's `limits`, checked as a user-limits PUT checks them (RabbitMQ answers 500 when invalid). */
export function limitsOf(v: unknown): Record<string, number> | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('limits must be an object')
  const problem = limitsProblem(v as Record<string, unknown>, USER_LIMITS, 'user-limits')
  if (problem !== undefined) throw badRequest(problem)
  return v as Record<string, number>
}

/** A vhost's limits as RabbitMQ shows them: the last one set first; none left is an empty list. */
export function vhostLimitsValue(limits: Limits): Limits | [] {
  return Object.keys(limits).length === 0 ? [] : { ...limits }
}

export function formatPermission(user: string, vhost: string, p: Permission): Item {
  return { user, vhost, configure: p.configure, write: p.write, read: p.read }
}

/** Every permission entry, optionally only one vhost's or one user's. */
export function listPermissions(
  ctx: ManagementContext,
  filter: { vhost?: string; user?: string } = {},
): Item[] {
  const out: Item[] = []
  for (const [vhost, byUser] of ctx.users.permissions) {
    if (filter.vhost !== undefined && vhost !== filter.vhost) continue
    for (const [user, p] of byUser) {
      if (filter.user !== undefined && user !== filter.user) continue
      out.push(formatPermission(user, vhost, p))
    }
  }
  return out
}

export function formatTopicPermission(user: string, vhost: string, p: TopicPermission): Item {
  return { user, vhost, exchange: p.exchange, write: p.write, read: p.read }
}

/** Every topic permission, optionally only one vhost's or one user's. */
export function listTopicPermissions(
  ctx: ManagementContext,
  filter: { vhost?: string; user?: string } = {},
): Item[] {
  const out: Item[] = []
  for (const [vhost, byUser] of ctx.users.topicPermissions) {
    if (filter.vhost !== undefined && vhost !== filter.vhost) continue
    for (const [user, grant] of byUser) {
      if (filter.user !== undefined && user !== filter.user) continue
      for (const p of grant.values()) out.push(formatTopicPermission(user, vhost, p))
    }
  }
  return out
}

/** Tags as RabbitMQ takes them: a comma-separated string or a list. */
export function parseTags(v: unknown): string[] {
  const list = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : []
  return list.map((t) => t.trim()).filter((t) => t !== '')
}

export const FULL_PERMISSION = { configure: '.*', write: '.*', read: '.*' } as const

/** The stored hash from `password` or `password_hash`; neither leaves the user without a password. */
export function passwordHashOf(body: Record<string, unknown>): string {
  if (typeof body['password'] === 'string') return hashPassword(body['password'])
  const hash = body['password_hash']
  if (hash === undefined || hash === null) return ''
  if (typeof hash !== 'string' || !isBase64(hash)) throw badRequest(['not_base64', String(hash)])
  const algorithm = body['hashing_algorithm']
  if (algorithm !== undefined && algorithm !== HASHING_ALGORITHM) {
    throw badRequest(['unsupported_hashing_algorithm', String(algorithm)])
  }
  return hash
}

function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s)
}
