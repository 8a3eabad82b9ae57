// GET /metrics/detailed?family=...&vhost=...: the metric families a scrape asks for, as rabbitmq_prometheus
// serves them (rabbitmq_detailed_* names; without a family, only the identity metrics). `vhost` limits the
// per-queue families to those vhosts. Unknown families are ignored, as RabbitMQ ignores them.
import { isQueue, type Queue } from '../../core/index.js'
import { type ManagementContext, openConnections } from '../context.js'
import {
  CHANNEL_CHURN,
  CONNECTION_CHURN,
  emitInfo,
  emitProcess,
  emitRows,
  nodeTotals,
  QUEUE_CHURN,
  type Row,
} from './aggregated.js'
import { Exposition } from './exposition.js'

type Family = (out: Exposition, ctx: ManagementContext, vhosts: ReadonlySet<string> | undefined) => void

const P = 'rabbitmq_detailed_'

const churn =
  (...groups: ReadonlyArray<readonly Row[]>): Family =>
  (out, ctx) => {
    const t = { ...ctx.broker.churn } as unknown as Record<string, number>
    for (const rows of groups) emitRows(out, rows, t, P)
  }

/** Per-queue gauges, labelled vhost and queue. */
const perQueue =
  (rows: ReadonlyArray<readonly [string, string, (q: Queue) => number]>): Family =>
  (out, ctx, vhosts) => {
    for (const [name, help] of rows)
      out.declare(P + name, name.endsWith('_total') ? 'counter' : 'gauge', help)
    for (const [name, , value] of rows) {
      for (const q of queuesIn(ctx, vhosts)) out.sample(P + name, value(q), { vhost: q.vhost, queue: q.name })
    }
  }

const nodeFamily: Family = (out, ctx) => emitProcess(out, ctx, P, nodeTotals(ctx)['connections'] ?? 0)

const FAMILIES: Readonly<Record<string, Family>> = {
  // RabbitMQ 3.10 serves all three churn groups under connection_churn_metrics; later ones split them.
  connection_churn_metrics: churn(CONNECTION_CHURN, CHANNEL_CHURN, QUEUE_CHURN),
  channel_churn_metrics: churn(CHANNEL_CHURN),
  queue_churn_metrics: churn(QUEUE_CHURN),
  node_coarse_metrics: nodeFamily,
  node_metrics: nodeFamily,
  queue_coarse_metrics: perQueue([
    ['queue_messages_ready', 'Messages ready to be delivered to consumers', (q) => q.readyCount],
    ['queue_messages_unacked', 'Messages delivered but not yet acknowledged', (q) => q.unackedCount],
    ['queue_messages', 'Ready and unacknowledged messages', (q) => q.messageCount],
  ]),
  queue_consumer_count: perQueue([['queue_consumers', 'Consumers on the queue', (q) => q.consumerCount]]),
  queue_metrics: perQueue([
    [
      'queue_messages_bytes',
      'Body bytes of ready and unacknowledged messages',
      (q) => q.readyByteCount + q.unackedByteCount,
    ],
    ['queue_messages_ready_bytes', 'Body bytes of ready messages', (q) => q.readyByteCount],
    ['queue_messages_unacked_bytes', 'Body bytes of unacknowledged messages', (q) => q.unackedByteCount],
    ['queue_messages_paged_out', 'Ready messages whose bodies are on disk only', (q) => q.pagedOutCount],
    ['queue_messages_published_total', 'Messages enqueued into the queue', (q) => q.stats.publish],
  ]),
  vhost_status: (out, ctx, vhosts) => {
    out.declare(P + 'vhost_status', 'gauge', 'Whether the vhost is running (1)')
    for (const v of ctx.broker.vhosts.keys())
      if (!vhosts || vhosts.has(v)) out.sample(P + 'vhost_status', 1, { vhost: v })
  },
  connection_coarse_metrics: (out, ctx) => {
    out.declare(P + 'connection_incoming_bytes_total', 'counter', 'Bytes received on the connection')
    out.declare(P + 'connection_outgoing_bytes_total', 'counter', 'Bytes sent on the connection')
    for (const c of openConnections(ctx)) {
      const labels = { connection: c.name, vhost: c.vhost.name }
      out.sample(P + 'connection_incoming_bytes_total', c.socket.bytesRead, labels)
      out.sample(P + 'connection_outgoing_bytes_total', c.socket.bytesWritten, labels)
    }
  },
  channel_metrics: (out, ctx) => {
    const rows = [
      ['channel_consumers', 'Consumers on the channel'],
      ['channel_messages_unacked', 'Deliveries on the channel not yet acknowledged'],
      ['channel_prefetch', 'Prefetch limit of the channel (basic.qos global)'],
    ] as const
    for (const [name, help] of rows) out.declare(P + name, 'gauge', help)
    for (const c of openConnections(ctx)) {
      for (const ch of c.channels.values()) {
        const labels = { channel: `${c.name} (${ch.id})`, vhost: c.vhost.name }
        out.sample(P + 'channel_consumers', ch.consumers.size, labels)
        out.sample(P + 'channel_messages_unacked', ch.unacked.count, labels)
        out.sample(P + 'channel_prefetch', ch.globalPrefetch, labels)
      }
    }
  },
}

/** The families RabbitMQ documents that Warren serves. */
export const DETAILED_FAMILIES: readonly string[] = Object.keys(FAMILIES)

export function detailed(
  ctx: ManagementContext,
  families: readonly string[],
  vhosts: readonly string[],
): string {
  const out = new Exposition()
  const only = vhosts.length > 0 ? new Set(vhosts) : undefined
  // node_coarse_metrics and node_metrics are one set here: asked for both, it is written once.
  const wanted = new Set(families.map((f) => FAMILIES[f]).filter((f) => f !== undefined))
  for (const family of wanted) family(out, ctx, only)
  emitInfo(out, ctx)
  return out.toString()
}

function* queuesIn(ctx: ManagementContext, vhosts: ReadonlySet<string> | undefined): Generator<Queue> {
  for (const v of ctx.broker.vhosts.values()) {
    if (vhosts && !vhosts.has(v.name)) continue
    for (const q of v.queues.values()) if (isQueue(q)) yield q
  }
}
