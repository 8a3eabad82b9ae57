// RabbitMQ's rabbitmq_stream_management API: the Stream protocol's connections, publishers and
// consumers (/api/stream/connections, /api/stream/publishers, /api/stream/consumers, by vhost, stream
// or connection). The same visibility as /api/connections: monitors see all, other users their own.
import { requireVhostAccess } from '../auth.js'
import type { ManagementContext, StreamClientView } from '../context.js'
import { formatConnection } from '../format/connections.js'
import { notFound } from '../http-errors.js'
import { type Item, replyList } from '../listing.js'
import type { Call, Routes } from '../server.js'
import { mayAccessConnection } from './connections.js'

type Open = StreamClientView & { connection: { vhost: { name: string }; user: { name: string } } }

function visible(r: Call, vhost?: string): Open[] {
  if (vhost !== undefined) {
    if (!r.ctx.broker.vhosts.has(vhost)) throw notFound()
    requireVhostAccess(r.ctx, r.user, vhost)
  }
  const out: Open[] = []
  for (const s of r.ctx.streamClients()) {
    const c = s.connection
    if (!c.vhost || !c.user || (vhost !== undefined && c.vhost.name !== vhost)) continue
    const open = s as Open
    if (mayAccessConnection(r.user, open.connection)) out.push(open)
  }
  return out
}

function details(ctx: ManagementContext, s: Open): Item {
  const c = s.connection
  return {
    name: c.name,
    node: ctx.nodeName,
    peer_host: formatConnection(ctx, c)['peer_host'],
    peer_port: c.socket.remotePort ?? 0,
    user: c.user.name,
  }
}

function publishers(ctx: ManagementContext, clients: Open[], stream?: string): Item[] {
  return clients.flatMap((s) =>
    s.publishers
      .filter((p) => stream === undefined || p.stream === stream)
      .map((p) => ({
        connection_details: details(ctx, s),
        publisher_id: p.id,
        queue: { name: p.stream, vhost: s.connection.vhost.name },
        reference: p.reference,
      })),
  )
}

function consumers(ctx: ManagementContext, clients: Open[], stream?: string): Item[] {
  return clients.flatMap((s) =>
    s.consumers
      .filter((k) => stream === undefined || k.stream === stream)
      .map((k) => ({
        connection_details: details(ctx, s),
        credits: k.credits,
        properties: { ...k.properties },
        queue: { name: k.stream, vhost: s.connection.vhost.name },
        subscription_id: k.id,
      })),
  )
}

function byName(clients: Open[], name: string | undefined): Open[] {
  const found = clients.filter((s) => s.connection.name === name)
  if (found.length === 0) throw notFound()
  return found
}

export function registerStreamRoutes(routes: Routes): void {
  const conns = (r: Call, vhost?: string): Item[] =>
    visible(r, vhost).map((s) => formatConnection(r.ctx, s.connection))
  routes.add('GET', '/api/stream/connections', 'management', (r) => replyList(conns(r), r.query))
  routes.add('GET', '/api/stream/connections/:vhost', 'management', (r) =>
    replyList(conns(r, r.params['vhost']), r.query),
  )
  for (const [what, list] of [
    ['publishers', publishers],
    ['consumers', consumers],
  ] as const) {
    routes.add('GET', `/api/stream/${what}`, 'management', (r) => replyList(list(r.ctx, visible(r)), r.query))
    routes.add('GET', `/api/stream/${what}/:vhost`, 'management', (r) =>
      replyList(list(r.ctx, visible(r, r.params['vhost'])), r.query),
    )
    routes.add('GET', `/api/stream/${what}/:vhost/:stream`, 'management', (r) =>
      replyList(list(r.ctx, visible(r, r.params['vhost']), r.params['stream']), r.query),
    )
    routes.add('GET', `/api/stream/connections/:vhost/:name/${what}`, 'management', (r) =>
      replyList(list(r.ctx, byName(visible(r, r.params['vhost']), r.params['name'])), r.query),
    )
  }
}
