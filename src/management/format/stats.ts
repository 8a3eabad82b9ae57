// Counter snapshots and their JSON: `message_stats` objects with a `<name>_details: {rate}` beside
// every counter, and the sampler's collection pass over every object that has rates.
import { type Exchange, MessageStats, type Queue, type VHost } from '../../core/index.js'
import { type ConnectionView, type ManagementContext, openConnections } from '../context.js'
import type { RateSampler, Sample } from '../rates.js'
import { BASIC_TIERS, GLOBAL_TIERS } from '../sample-history.js'

const MESSAGE_FIELDS: ReadonlyArray<readonly [keyof MessageStats & string, string]> = [
  ['publish', 'publish'],
  ['confirm', 'confirm'],
  ['returnUnroutable', 'return_unroutable'],
  ['dropUnroutable', 'drop_unroutable'],
  ['deliver', 'deliver'],
  ['deliverNoAck', 'deliver_no_ack'],
  ['get', 'get'],
  ['getNoAck', 'get_no_ack'],
  ['getEmpty', 'get_empty'],
  ['redeliver', 'redeliver'],
  ['ack', 'ack'],
]

/** The delivery-side counters a vhost adds up from its queues. */
const DELIVERY_FIELDS = [
  'deliver',
  'deliver_no_ack',
  'get',
  'get_no_ack',
  'get_empty',
  'redeliver',
  'ack',
  'deliver_get',
]

/** What overview and vhosts always show, zero or not (as RabbitMQ does). */
export const FULL_MESSAGE_STATS = [
  'ack',
  'confirm',
  'deliver',
  'deliver_get',
  'deliver_no_ack',
  'drop_unroutable',
  'get',
  'get_empty',
  'get_no_ack',
  'publish',
  'redeliver',
  'return_unroutable',
] as const

export const EXCHANGE_MESSAGE_STATS = ['publish_in', 'publish_out'] as const

export function messageSample(s: MessageStats): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, json] of MESSAGE_FIELDS) out[json] = s[k] as number
  out['deliver_get'] = s.deliver + s.deliverNoAck + s.get + s.getNoAck
  return out
}

export function exchangeSample(ex: Exchange): Record<string, number> {
  return { publish_in: ex.stats.publishIn, publish_out: ex.stats.publishOut }
}

export function queueSample(q: Queue): Record<string, number> {
  const s = messageSample(q.stats)
  s['messages'] = q.messageCount
  s['messages_ready'] = q.readyCount
  s['messages_unacknowledged'] = q.unackedCount
  return s
}

export function connectionSample(c: ConnectionView): Record<string, number> {
  return { recv_oct: c.socket.bytesRead, send_oct: c.socket.bytesWritten }
}

/** A vhost's totals: its own publish-side counters, its queues' deliveries, depths and traffic. */
export function vhostSample(v: VHost, traffic: Sample | undefined): Record<string, number> {
  // Sums the queues' delivery counters into one MessageStats: no allocation per queue.
  const totals = new MessageStats()
  totals.addDeliveries(v.stats)
  let messages = 0
  let ready = 0
  for (const q of v.queues.values()) {
    totals.addDeliveries(q.stats)
    messages += q.messageCount
    ready += q.readyCount
  }
  const s = messageSample(v.stats)
  const d = messageSample(totals)
  for (const f of DELIVERY_FIELDS) s[f] = d[f] as number
  s['messages'] = messages
  s['messages_ready'] = ready
  s['messages_unacknowledged'] = messages - ready
  s['recv_oct'] = traffic?.['recv_oct'] ?? 0
  s['send_oct'] = traffic?.['send_oct'] ?? 0
  return s
}

/** Bytes received and sent by each vhost's open connections. */
export function trafficByVhost(ctx: ManagementContext): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>()
  for (const c of openConnections(ctx)) {
    const t = out.get(c.vhost.name) ?? { recv_oct: 0, send_oct: 0 }
    t['recv_oct'] = (t['recv_oct'] as number) + c.socket.bytesRead
    t['send_oct'] = (t['send_oct'] as number) + c.socket.bytesWritten
    out.set(c.vhost.name, t)
  }
  return out
}

export function addInto(into: Record<string, number>, s: Sample): void {
  for (const k of Object.keys(s)) into[k] = (into[k] ?? 0) + (s[k] as number)
}

/** Counters RabbitMQ shows together once any of them is in use. */
export const PUBLISH_GROUP = ['confirm', 'drop_unroutable', 'publish', 'return_unroutable'] as const
export const DELIVERY_GROUP = [
  'ack',
  'deliver',
  'deliver_get',
  'deliver_no_ack',
  'get',
  'get_empty',
  'get_no_ack',
  'redeliver',
] as const
export const QUEUE_GROUPS = [['publish'], DELIVERY_GROUP] as const
export const CHANNEL_GROUPS = [PUBLISH_GROUP, DELIVERY_GROUP] as const
export const EXCHANGE_GROUPS = [EXCHANGE_MESSAGE_STATS] as const

/**
 * `message_stats`: each counter with its rate. `names` lists counters always shown; groups are shown
 * only once one of their counters is non-zero (and the whole object is left out when none is), as
 * RabbitMQ does for queues, exchanges and channels.
 */
export function formatMessageStats(
  values: Sample,
  rates: Sample,
  names: readonly string[] | ReadonlyArray<readonly string[]>,
): Record<string, unknown> | undefined {
  const grouped = names.length > 0 && Array.isArray(names[0])
  const list = grouped
    ? (names as ReadonlyArray<readonly string[]>).filter((g) => g.some((n) => (values[n] ?? 0) > 0)).flat()
    : (names as readonly string[])
  if (grouped && list.length === 0) return undefined
  const out: Record<string, unknown> = {}
  for (const n of [...list].sort()) {
    out[n] = values[n] ?? 0
    out[`${n}_details`] = { rate: rates[n] ?? 0 }
  }
  return out
}

/** `name` and `name_details` for gauges and byte counts shown outside message_stats. */
export function withDetails(
  out: Record<string, unknown>,
  values: Sample,
  rates: Sample,
  names: readonly string[],
): void {
  for (const n of names) {
    out[n] = values[n] ?? 0
    out[`${n}_details`] = { rate: rates[n] ?? 0 }
  }
}

/** The sampler's pass: every object whose rates the API shows. */
export function collectRates(ctx: ManagementContext): (s: RateSampler) => void {
  return (s) => {
    for (const c of openConnections(ctx)) {
      s.observe(c, connectionSample(c))
      for (const ch of c.channels.values()) s.observe(ch, messageSample(ch.stats))
    }
    const traffic = trafficByVhost(ctx)
    for (const v of ctx.broker.vhosts.values()) {
      // Connections and channels keep rates only; queues, exchanges and vhosts keep history too.
      for (const q of v.queues.values()) s.observe(q, queueSample(q), BASIC_TIERS)
      for (const ex of v.exchanges.values()) s.observe(ex, exchangeSample(ex), BASIC_TIERS)
      s.observe(v, vhostSample(v, traffic.get(v.name)), GLOBAL_TIERS)
    }
  }
}
