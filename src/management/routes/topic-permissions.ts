// /api/topic-permissions and the per-user and per-vhost lists: a user's write and read expressions on
// the routing keys of one topic exchange in a vhost (enforced by auth/authorize.ts through the core
// session). Administrators only, as in RabbitMQ. A PUT adds or replaces the permission for the body's
// exchange (201 when the user had none in the vhost); a DELETE removes all of them, or one exchange's.
import { checkPermission } from '../../auth/index.js'
import { formatTopicPermission, listTopicPermissions } from '../format/accounts.js'
import { badRequest, keyMissing, notFound } from '../http-errors.js'
import { replyList } from '../listing.js'
import type { Call, Routes } from '../server.js'

export function registerTopicPermissionRoutes(routes: Routes): void {
  routes.add('GET', '/api/topic-permissions', 'administrator', ({ ctx, query }) =>
    replyList(listTopicPermissions(ctx), query),
  )
  for (const path of [
    '/api/topic-permissions/:vhost/:user',
    '/api/topic-permissions/:vhost/:user/:exchange',
  ]) {
    routes.add('GET', path, 'administrator', (c) => grantOf(c))
    routes.add('DELETE', path, 'administrator', (c) => {
      grantOf(c)
      const exchange = c.params['exchange']
      c.ctx.users.clearTopicPermissions(c.params['user'] as string, c.params['vhost'] as string, exchange)
      c.ctx.definitionsChanged()
    })
  }
  routes.add('PUT', '/api/topic-permissions/:vhost/:user', 'administrator', (c) => putTopicPermission(c))
  routes.add('GET', '/api/users/:user/topic-permissions', 'administrator', ({ ctx, query, params }) => {
    if (!ctx.users.users.has(params['user'] as string)) throw notFound()
    return replyList(listTopicPermissions(ctx, { user: params['user'] as string }), query)
  })
  routes.add('GET', '/api/vhosts/:vhost/topic-permissions', 'administrator', ({ ctx, query, params }) => {
    if (!ctx.broker.vhosts.has(params['vhost'] as string)) throw notFound()
    return replyList(listTopicPermissions(ctx, { vhost: params['vhost'] as string }), query)
  })
}

/** The user's topic permissions in the vhost; 404 when the user, the vhost or any permission is missing. */
function grantOf(c: Call): unknown {
  const { ctx, params } = c
  const [vhost, user] = [params['vhost'] as string, params['user'] as string]
  const grant = ctx.broker.vhosts.has(vhost) ? ctx.users.topicGrant(user, vhost) : undefined
  if (grant === undefined || !ctx.users.users.has(user)) throw notFound()
  return [...grant.values()].map((p) => formatTopicPermission(user, vhost, p))
}

function putTopicPermission(c: Call): void {
  const { ctx } = c
  const [vhost, user] = [c.params['vhost'] as string, c.params['user'] as string]
  if (!ctx.broker.vhosts.has(vhost) || !ctx.users.users.has(user)) throw badRequest('vhost_or_user_not_found')
  const body = c.body()
  for (const k of ['exchange', 'write', 'read']) if (body[k] === undefined) throw keyMissing(k)
  const p = { exchange: String(body['exchange']), write: String(body['write']), read: String(body['read']) }
  const invalid = checkPermission(p)
  if (invalid) throw badRequest(['invalid_regexp', invalid.pattern, invalid.reason])
  const before = ctx.users.topicGrant(user, vhost)
  ctx.users.setTopicPermission(user, vhost, p)
  if (before === undefined) c.reply.code(201)
  c.notStored(() => ctx.users.setTopicGrant(user, vhost, before))
  ctx.definitionsChanged()
}
