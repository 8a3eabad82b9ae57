// /api/connections, /api/channels and /api/consumers. Monitors and administrators see every
// connection; other users see their own, as in RabbitMQ. DELETE /api/connections/{name} closes with
// 320 CONNECTION_FORCED and the X-Reason header as the reply text's detail.
import type { User } from '../../auth/index.js'
import { canSeeVhost, hasLevel, requireVhostVisible } from '../auth.js'
import { type ConnectionView, type ManagementContext, openConnections } from '../context.js'
import { channelName, formatChannel, formatConnection, formatConsumer } from '../format/connections.js'
import { notAuthorised, notFound } from '../http-errors.js'
import { type Item, replyItem, replyList } from '../listing.js'
import type { Routes } from '../server.js'

type OpenConnection = ConnectionView & { vhost: { name: string }; user: { name: string } }

export function canSeeConnection(_ctx: ManagementContext, user: User, c: OpenConnection): boolean {
  return hasLevel(user, 'monitoring') || c.user.name === user.name
}

function visibleConnections(ctx: ManagementContext, user: User, vhost?: string): OpenConnection[] {
  const out: OpenConnection[] = []
  for (const c of openConnections(ctx)) {
    if (vhost !== undefined && c.vhost.name !== vhost) continue
    if (canSeeConnection(ctx, user, c)) out.push(c)
  }
  return out
}

function findConnection(ctx: ManagementContext, user: User, name: string | undefined): OpenConnection {
  for (const c of openConnections(ctx)) {
    if (c.name !== name) continue
    if (!canSeeConnection(ctx, user, c)) throw notAuthorised('Not administrator user')
    return c
  }
  throw notFound()
}

function channelsOf(ctx: ManagementContext, conns: OpenConnection[]): Item[] {
  const out: Item[] = []
  for (const c of conns) for (const ch of c.channels.values()) out.push(formatChannel(ctx, c, ch))
  return out
}

function consumersOf(ctx: ManagementContext, user: User, vhost?: string, queue?: string): Item[] {
  const out: Item[] = []
  for (const c of openConnections(ctx)) {
    if (vhost !== undefined && c.vhost.name !== vhost) continue
    if (!canSeeVhost(ctx, user, c.vhost.name)) continue
    for (const ch of c.channels.values()) {
      for (const k of ch.consumers.values()) {
        if (queue === undefined || k.queue.name === queue) out.push(formatConsumer(ctx, c, ch, k))
      }
    }
  }
  return out
}

/** Consumers of one queue, for the queue's consumer_details. */
export function queueConsumers(ctx: ManagementContext, user: User, vhost: string, queue: string): Item[] {
  return consumersOf(ctx, user, vhost, queue)
}

export function registerConnectionRoutes(routes: Routes): void {
  routes.add('GET', '/api/connections', 'management', ({ ctx, user, query }) =>
    replyList(
      visibleConnections(ctx, user).map((c) => formatConnection(ctx, c)),
      query,
      { paginate: true },
    ),
  )
  routes.add('GET', '/api/vhosts/:vhost/connections', 'management', ({ ctx, user, query, params }) => {
    const vhost = params['vhost'] as string
    if (!ctx.broker.vhosts.has(vhost)) throw notFound()
    requireVhostVisible(ctx, user, vhost)
    return replyList(
      visibleConnections(ctx, user, vhost).map((c) => formatConnection(ctx, c)),
      query,
    )
  })
  routes.add('GET', '/api/connections/:name', 'management', ({ ctx, user, query, params }) =>
    replyItem(formatConnection(ctx, findConnection(ctx, user, params['name'])), query),
  )
  routes.add('DELETE', '/api/connections/:name', 'management', ({ ctx, user, params, req }) => {
    const c = findConnection(ctx, user, params['name'])
    const reason = req.headers['x-reason']
    c.forceClose(typeof reason === 'string' && reason !== '' ? reason : 'Closed via management plugin')
  })
  routes.add('GET', '/api/connections/:name/channels', 'management', ({ ctx, user, query, params }) =>
    replyList(channelsOf(ctx, [findConnection(ctx, user, params['name'])]), query),
  )

  routes.add('GET', '/api/channels', 'management', ({ ctx, user, query }) =>
    replyList(channelsOf(ctx, visibleConnections(ctx, user)), query, { paginate: true }),
  )
  routes.add('GET', '/api/vhosts/:vhost/channels', 'management', ({ ctx, user, query, params }) => {
    const vhost = params['vhost'] as string
    if (!ctx.broker.vhosts.has(vhost)) throw notFound()
    requireVhostVisible(ctx, user, vhost)
    return replyList(channelsOf(ctx, visibleConnections(ctx, user, vhost)), query)
  })
  routes.add('GET', '/api/channels/:name', 'management', ({ ctx, user, query, params }) => {
    for (const c of visibleConnections(ctx, user)) {
      for (const ch of c.channels.values()) {
        if (channelName(c, ch) === params['name']) return replyItem(formatChannel(ctx, c, ch), query)
      }
    }
    throw notFound()
  })

  routes.add('GET', '/api/consumers', 'management', ({ ctx, user, query }) =>
    replyList(consumersOf(ctx, user), query),
  )
  routes.add('GET', '/api/consumers/:vhost', 'management', ({ ctx, user, query, params }) => {
    const vhost = params['vhost'] as string
    if (!ctx.broker.vhosts.has(vhost)) throw notFound()
    requireVhostVisible(ctx, user, vhost)
    return replyList(consumersOf(ctx, user, vhost), query)
  })
}
