// Dead-lettering as RabbitMQ 3.10 writes it: the x-death header (one table per queue and reason, most
// recent first, with a count), x-first-death-* headers set once, the expiration moved into x-death as
// original-expiration, and cycle detection that drops a message going round without any rejection.
import { type Clock, type FieldTable, type FieldValue, Timestamp, TypedValue } from '../shared/index.js'
import type { Message } from './message.js'
import type { VhostCounters } from './stats.js'
import type { Exchange } from './exchange/index.js'
import type { DeadLetterReason, DurabilityTicket, Queue } from './queue-types/queue.js'

/** The routing keys a message was published with: its key plus any CC header keys. */
export function publishRoutingKeys(msg: Message): string[] {
  const cc = msg.properties.headers?.['CC']
  return [msg.routingKey, ...(Array.isArray(cc) ? cc.filter((k): k is string => typeof k === 'string') : [])]
}

export function deadLetteredMessage(
  msg: Message,
  queue: string,
  reason: DeadLetterReason,
  dlx: string,
  dlrk: string | undefined,
  nowMs: number,
): Message {
  const headers: FieldTable = { ...(msg.properties.headers ?? {}) }
  const info: Array<[string, FieldValue]> = [
    ['reason', reason],
    ['queue', queue],
    ['time', new Timestamp(Math.floor(nowMs / 1000))],
    ['exchange', msg.exchange],
    ['routing-keys', publishRoutingKeys(msg)],
  ]
  if (msg.properties.expiration !== undefined) info.push(['original-expiration', msg.properties.expiration])
  updateXDeath(headers, info, queue, reason, msg.exchange)
  if (dlrk !== undefined) delete headers['CC']
  const { expiration: _dropped, ...props } = msg.properties
  return msg.with({
    exchange: dlx,
    routingKey: dlrk ?? msg.routingKey,
    properties: { ...props, headers: sortTable(headers) },
    bccKeys: dlrk === undefined ? msg.bccKeys : undefined,
  })
}

function updateXDeath(
  headers: FieldTable,
  info: Array<[string, FieldValue]>,
  queue: string,
  reason: string,
  exchange: string,
): void {
  const existing = headers['x-death']
  if (!Array.isArray(existing)) {
    // The first death keeps RabbitMQ's field order: count, then the event's facts as listed.
    headers['x-death'] = [Object.fromEntries([['count', new TypedValue('l', 1)], ...info]) as FieldTable]
    headers['x-first-death-reason'] = reason
    headers['x-first-death-queue'] = queue
    headers['x-first-death-exchange'] = exchange
    return
  }
  const tables = existing.filter(isTable)
  const match = tables.find((t) => t['queue'] === queue && t['reason'] === reason)
  const others = tables.filter((t) => t !== match)
  const updated = match
    ? { ...match, count: new TypedValue('l', countOf(match) + 1) }
    : (Object.fromEntries([['count', new TypedValue('l', 1)], ...info]) as FieldTable)
  headers['x-death'] = [sortTable(updated), ...others]
}

function countOf(t: FieldTable): number {
  const c = t['count']
  return c instanceof TypedValue ? Number(c.value) : typeof c === 'number' ? c : 0
}

function isTable(v: FieldValue): v is FieldTable {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !Buffer.isBuffer(v) &&
    v.constructor === Object
  )
}

/** RabbitMQ sorts the tables it rewrites by key. */
function sortTable(t: FieldTable): FieldTable {
  const out: FieldTable = {}
  for (const k of Object.keys(t).sort()) out[k] = t[k] as FieldValue
  return out
}

/**
 * RabbitMQ's cycle rule: a queue is a cycle target if it already appears in x-death, and the deaths since
 * (and including) its last appearance contain no 'rejected'. Such queues are skipped.
 */
export function isDeadLetterCycle(msg: Message, targetQueue: string): boolean {
  const deaths = msg.properties.headers?.['x-death']
  if (!Array.isArray(deaths)) return false
  const idx = deaths.findIndex((d) => isTable(d) && d['queue'] === targetQueue)
  if (idx < 0) return false
  return deaths.slice(0, idx + 1).every((d) => isTable(d) && d['reason'] !== 'rejected')
}

/** What dead-lettering needs of a vhost. */
export interface DeadLetterHost {
  readonly exchanges: ReadonlyMap<string, Exchange>
  readonly clock: Clock
  readonly counters: VhostCounters
  route(ex: Exchange, msg: Message): Queue[]
  /** What an exchange that kept the last routed message (a delayed one) stores it under, if anything. */
  readonly heldTickets: readonly DurabilityTicket[]
}

/**
 * Routes dead letters to the queue's dead-letter exchange. Returns what the originals must wait for
 * before they leave the source queue's store: the tickets of the durable queues that took persistent
 * copies (a crash in between would otherwise lose a message confirmed to its publisher).
 *
 * With `untaken` (a quorum queue's at-least-once dead-lettering), the index of every message that no
 * queue took (no exchange, no route, or refused) is added to it: the source keeps those and tries
 * again later, and only the messages taken are counted.
 */
export function routeDeadLetters(
  v: DeadLetterHost,
  q: Queue,
  messages: readonly Message[],
  reason: DeadLetterReason,
  untaken?: number[],
): Promise<void> | undefined {
  const dlxName = q.settings.deadLetterExchange
  const dlx = dlxName === undefined ? undefined : v.exchanges.get(dlxName)
  if (untaken && (dlxName === undefined || !dlx)) {
    for (let i = 0; i < messages.length; i++) untaken.push(i)
    return undefined
  }
  // RabbitMQ drops dead letters whose exchange does not exist, and counts them as dropped.
  const counts = dlx ? v.counters.deadLettered : v.counters.dropped
  counts[reason] += messages.length
  if (dlxName === undefined || !dlx) return undefined
  const now = v.clock.now()
  let copies: Set<DurabilityTicket> | undefined
  for (let i = 0; i < messages.length; i++) {
    const msg = messages[i] as Message
    const dead = deadLetteredMessage(msg, q.name, reason, dlxName, q.settings.deadLetterRoutingKey, now)
    const targets = [...v.route(dlx, dead)]
    for (const held of v.heldTickets) (copies ??= new Set()).add(held)
    let taken = false
    for (const t of targets) {
      if (isDeadLetterCycle(dead, t.name)) continue
      const enqueued = t.enqueue(dead)
      if (enqueued !== false) taken = true
      if (enqueued !== true && enqueued !== false) (copies ??= new Set()).add(enqueued)
    }
    if (untaken && !taken) {
      untaken.push(i)
      counts[reason]--
    }
  }
  return copies && Promise.all([...copies].map((s) => s.flush())).then(() => undefined)
}
