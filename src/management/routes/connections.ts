// /api/connections, /api/channels and /api/consumers. As in RabbitMQ, monitors and administrators see
// every connection, channel and consumer, other users their own; closing a connection (DELETE
// /api/connections/{name}: 320 CONNECTION_FORCED with the X-Reason header as the reply text's detail)
// takes the administrator tag or being its user.
import type { User } from '../../auth/index.js'
import { hasLevel, requireVhostAccess } from '../auth.js'
import { type ConnectionView, type ManagementContext, openConnections } from '../context.js'
import { channelName, formatChannel, formatConnection, formatConsumer } from '../format/connections.js'
import { notAuthorised, notFound } from '../http-errors.js'
import { type Item, replyItem, replyList } from '../listing.js'
import type { Routes } from '../server.js'

type OpenConnection = ConnectionView & { vhost: { name: string }; user: { name: string } }

/** Reading a connection (or its channels) takes the monitoring tag; closing one, administrator. */
export function mayAccessConnection(user: User, c: OpenConnection, close = false): boolean {
  return c.user.name === user.name || hasLevel(user, close ? 'administrator' : 'monitoring')
}

function visibleConnections(ctx: ManagementContext, user: User, vhost?: string): OpenConnection[] {
  const out: OpenConnection[] = []
  for (const c of openConnections(ctx)) {
    if (vhost !== undefined && c.vhost.name !== vhost) continue
    if (mayAccessConnection(user, c)) out.push(c)
  }
  return out
}

function findConnection(
  ctx: ManagementContext,
  user: User,
  name: string | undefined,
  close = false,
): OpenConnection {
  for (const c of openConnections(ctx)) {
    if (c.name !== name) continue
    if (!mayAccessConnection(user, c, close)) throw notAuthorised(NOT_YOURS)
    return c
  }
  throw notFound()
}

const NOT_YOURS = 'User not authorised to access object'

function channelsOf(ctx: ManagementContext, conns: OpenConnection[]): Item[] {
  const out: Item[] = []
  for (const c of conns) for (const ch of c.channels.values()) out.push(formatChannel(ctx, c, ch))
  return out
}

/** Consumers of the connections `user` may read (all, for monitors), or of every connection without one. */
function consumersOf(ctx: ManagementContext, user: User | undefined, vhost?: string, queue?: string): Item[] {
  const out: Item[] = []
  for (const c of openConnections(ctx)) {
    if (vhost !== undefined && c.vhost.name !== vhost) continue
    if (user !== undefined && !mayAccessConnection(user, c)) continue
    for (const ch of c.channels.values()) {
      for (const k of ch.consumers.values()) {
        if (queue === undefined || k.queue.name === queue) out.push(formatConsumer(ctx, c, ch, k))
      }
    }
  }
  return out
}

/** Consumers of one queue, for the queue's consumer_details (whoever may read the queue sees them all). */
export function queueConsumers(ctx: ManagementContext, vhost: string, queue: string): Item[] {
  return consumersOf(ctx, undefined, vhost, queue)
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
    requireVhostAccess(ctx, user, vhost)
    return replyList(
      visibleConnections(ctx, user, vhost).map((c) => formatConnection(ctx, c)),
      query,
    )
  })
  routes.add('GET', '/api/connections/:name', 'management', ({ ctx, user, query, params }) =>
    replyItem(formatConnection(ctx, findConnection(ctx, user, params['name'])), query),
  )
  routes.add('DELETE', '/api/connections/:name', 'management', ({ ctx, user, params, req }) => {
    const c = findConnection(ctx, user, params['name'], true)
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
    requireVhostAccess(ctx, user, vhost)
    return replyList(channelsOf(ctx, visibleConnections(ctx, user, vhost)), query)
  })
  routes.add('GET', '/api/channels/:name', 'management', ({ ctx, user, query, params }) => {
    for (const c of openConnections(ctx)) {
      for (const ch of c.channels.values()) {
        if (channelName(c, ch) !== params['name']) continue
        if (!mayAccessConnection(user, c)) throw notAuthorised(NOT_YOURS)
        return replyItem(formatChannel(ctx, c, ch), query)
      }
    }
    throw notFound()
  })

  routes.add('GET', '/api/consumers', 'management', ({ ctx, user, query }) =>
    replyList(consumersOf(ctx, user), query),
  )
  // As RabbitMQ: no vhost access check here; the list holds the caller's own consumers anyway.
  routes.add('GET', '/api/consumers/:vhost', 'management', ({ ctx, user, query, params }) => {
    const vhost = params['vhost'] as string
    if (!ctx.broker.vhosts.has(vhost)) throw notFound()
    return replyList(consumersOf(ctx, user, vhost), query)
  })
}
