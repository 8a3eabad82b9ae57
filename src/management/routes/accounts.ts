// /api/vhosts, /api/users and /api/permissions. Creating a vhost grants its creator full permissions
// there (as RabbitMQ does, and clients such as rascal rely on); deleting one closes its connections
// with 320 "vhost '<name>' is deleted" after cancelling the consumers of its queues. A user PUT may
// carry `limits` (RabbitMQ 3.10): they are added to the user's (see routes/limits.ts).
import { checkPermission, type User } from '../../auth/index.js'
import type { VHost } from '../../core/index.js'
import { visibleVhosts } from '../auth.js'
import { type ManagementContext, openConnections } from '../context.js'
import {
  FULL_PERMISSION,
  formatPermission,
  formatUser,
  formatVhost,
  limitsOf,
  listPermissions,
  parseTags,
  passwordHashOf,
} from '../format/accounts.js'
import { trafficByVhost } from '../format/stats.js'
import { badRequest, keyMissing, notFound } from '../http-errors.js'
import { replyItem, replyList } from '../listing.js'
import type { Call, Routes } from '../server.js'
import { sampled } from '../format/samples.js'

export function registerAccountRoutes(routes: Routes): void {
  routes.add('GET', '/api/vhosts', 'management', ({ ctx, user, query }) => {
    const traffic = trafficByVhost(ctx)
    const items = visibleVhosts(ctx, user).map((v) =>
      sampled(ctx, query, [v], formatVhost(ctx, v, traffic.get(v.name))),
    )
    return replyList(items, query, { paginate: true })
  })
  // One vhost's details are for administrators only, as in RabbitMQ (the list is for everyone).
  routes.add('GET', '/api/vhosts/:vhost', 'administrator', ({ ctx, query, params }) => {
    const name = params['vhost'] as string
    const v = ctx.broker.vhosts.get(name)
    if (!v) throw notFound()
    return replyItem(sampled(ctx, query, [v], formatVhost(ctx, v, trafficByVhost(ctx).get(name))), query)
  })
  routes.add('PUT', '/api/vhosts/:vhost', 'administrator', (c) => putVhost(c))
  routes.add('DELETE', '/api/vhosts/:vhost', 'administrator', ({ ctx, params }) => {
    if (!ctx.broker.vhosts.has(params['vhost'] as string)) throw notFound()
    deleteVhost(ctx, params['vhost'] as string)
  })
  routes.add('GET', '/api/vhosts/:vhost/permissions', 'administrator', ({ ctx, query, params }) => {
    if (!ctx.broker.vhosts.has(params['vhost'] as string)) throw notFound()
    return replyList(listPermissions(ctx, { vhost: params['vhost'] as string }), query)
  })

  routes.add('GET', '/api/users', 'administrator', ({ ctx, query }) =>
    replyList([...ctx.users.users.values()].map(formatUser), query),
  )
  routes.add('GET', '/api/users/without-permissions', 'administrator', ({ ctx, query }) => {
    const withPerms = new Set(listPermissions(ctx).map((p) => p['user']))
    return replyList(
      [...ctx.users.users.values()].filter((u) => !withPerms.has(u.name)).map(formatUser),
      query,
    )
  })
  routes.add('POST', '/api/users/bulk-delete', 'administrator', ({ ctx, body }) => {
    const names = body()['users']
    if (!Array.isArray(names)) throw keyMissing('users')
    for (const n of names) if (!ctx.users.users.has(String(n))) throw badRequest(['no_such_user', String(n)])
    for (const n of names) deleteUser(ctx, String(n))
  })
  routes.add('GET', '/api/users/:user', 'administrator', ({ ctx, query, params }) =>
    replyItem(formatUser(userOf(ctx, params['user'])), query),
  )
  routes.add('PUT', '/api/users/:user', 'administrator', (c) => putUser(c))
  routes.add('DELETE', '/api/users/:user', 'administrator', ({ ctx, params }) =>
    deleteUser(ctx, userOf(ctx, params['user']).name),
  )
  routes.add('GET', '/api/users/:user/permissions', 'administrator', ({ ctx, query, params }) =>
    replyList(listPermissions(ctx, { user: userOf(ctx, params['user']).name }), query),
  )

  routes.add('GET', '/api/permissions', 'administrator', ({ ctx, query }) =>
    replyList(listPermissions(ctx), query),
  )
  routes.add('GET', '/api/permissions/:vhost/:user', 'administrator', ({ ctx, query, params }) => {
    const vhost = params['vhost'] as string
    const user = params['user'] as string
    const p = ctx.users.permission(user, vhost)
    if (!p) throw notFound()
    return replyItem(formatPermission(user, vhost, p), query)
  })
  routes.add('PUT', '/api/permissions/:vhost/:user', 'administrator', (c) => putPermission(c))
  routes.add('DELETE', '/api/permissions/:vhost/:user', 'administrator', ({ ctx, params }) => {
    const byUser = ctx.users.permissions.get(params['vhost'] as string)
    if (!byUser?.delete(params['user'] as string)) throw notFound()
    ctx.definitionsChanged()
  })
}

function putVhost(c: Call): void {
  const { ctx, user } = c
  const name = c.params['vhost'] as string
  const body = c.body()
  const created = !ctx.broker.vhosts.has(name)
  ctx.broker.addVhost(name)
  const description = typeof body['description'] === 'string' ? body['description'] : ''
  ctx.vhostMeta.set(name, { description, tags: parseTags(body['tags']) })
  // {"tracing": true} turns the firehose tracer on for the vhost, as rabbitmqctl trace_on does.
  if (typeof body['tracing'] === 'boolean') (ctx.broker.vhosts.get(name) as VHost).tracing = body['tracing']
  if (created) {
    ctx.users.setPermission(user.name, name, { ...FULL_PERMISSION })
    c.reply.code(201)
    c.notStored(() => deleteVhost(ctx, name))
  }
  ctx.definitionsChanged()
}

/** Removes a vhost: its queues (consumers are cancelled), its connections, permissions and metadata. */
export function deleteVhost(ctx: ManagementContext, name: string): void {
  const v = ctx.broker.vhosts.get(name)
  if (!v) return
  for (const q of [...v.queues.values()]) v.removeQueue(q)
  for (const ex of v.exchanges.values()) v.dropHeld(ex)
  for (const c of [...openConnections(ctx)])
    if (c.vhost.name === name) c.forceClose(`vhost '${name}' is deleted`)
  ctx.broker.vhosts.delete(name)
  ctx.users.deleteVhost(name)
  ctx.vhostMeta.delete(name)
  ctx.definitionsChanged()
}

function userOf(ctx: ManagementContext, name: string | undefined): User {
  const u = ctx.users.users.get(name ?? '')
  if (!u) throw notFound()
  return u
}

function deleteUser(ctx: ManagementContext, name: string): void {
  ctx.users.deleteUser(name)
  ctx.definitionsChanged()
}

function putUser(c: Call): void {
  const { ctx } = c
  const name = c.params['user'] as string
  const body = c.body()
  if (body['tags'] === undefined) throw badRequest('tags_not_present')
  const passwordHash = passwordHashOf(body)
  const tags = parseTags(body['tags'])
  const limits = limitsOf(body['limits'])
  const existing = ctx.users.users.get(name)
  if (existing) {
    // Mutated in place: open connections hold this object.
    const before = { passwordHash: existing.passwordHash, tags: existing.tags, limits: existing.limits }
    existing.passwordHash = passwordHash
    existing.tags = tags
    if (limits) existing.limits = { ...existing.limits, ...limits }
    c.notStored(() => Object.assign(existing, before))
  } else {
    ctx.users.users.set(name, { name, passwordHash, tags, ...(limits ? { limits } : {}) })
    c.reply.code(201)
    c.notStored(() => ctx.users.users.delete(name))
  }
  ctx.definitionsChanged()
}

function putPermission(c: Call): void {
  const { ctx } = c
  const vhost = c.params['vhost'] as string
  const user = c.params['user'] as string
  const body = c.body()
  for (const k of ['configure', 'write', 'read']) if (body[k] === undefined) throw keyMissing(k)
  if (!ctx.broker.vhosts.has(vhost) || !ctx.users.users.has(user)) throw badRequest('vhost_or_user_not_found')
  const p = { configure: String(body['configure']), write: String(body['write']), read: String(body['read']) }
  const invalid = checkPermission(p)
  if (invalid) throw badRequest(['invalid_regexp', invalid.pattern, invalid.reason])
  const before = ctx.users.permission(user, vhost)
  ctx.users.setPermission(user, vhost, p)
  if (before === undefined) c.reply.code(201)
  c.notStored(() =>
    before ? ctx.users.setPermission(user, vhost, before) : ctx.users.permissions.get(vhost)?.delete(user),
  )
  ctx.definitionsChanged()
}
