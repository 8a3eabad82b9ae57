// Queues, exchanges and bindings in RabbitMQ's JSON shape. Fields that describe Erlang internals
// (garbage_collection, reductions, backing_queue_status) are left out; see docs/management.md.
import { displayAddress } from '../../shared/index.js'
import { createHash } from 'node:crypto'
import {
  type Binding,
  DedupExchange,
  DelayedExchange,
  type Exchange,
  isQueue,
  type Policy,
  type Queue,
  type VHost,
} from '../../core/index.js'
import type { ConnectionView, ManagementContext } from '../context.js'
import { tableToJson } from '../json.js'
import type { Item } from '../listing.js'
import {
  EXCHANGE_GROUPS,
  exchangeSample,
  formatMessageStats,
  QUEUE_GROUPS,
  queueSample,
  withDetails,
} from './stats.js'

/** Bytes a queue entry costs besides its body, for the `memory` estimate. */
const ENTRY_OVERHEAD = 120
const QUEUE_OVERHEAD = 2048

export function formatQueue(
  ctx: ManagementContext,
  q: Queue,
  owners: ReadonlyMap<number, ConnectionView>,
): Item {
  const values = queueSample(q)
  const rates = ctx.rates.ratesOf(q)
  const bytesReady = q.readyByteCount
  const bytesUnacked = q.unackedByteCount
  const exclusiveConsumer = q.consumers.find((c) => c.exclusive)
  // Bodies of long durable queues beyond the in-memory window live on disk only.
  const pagedOut = q.pagedOutCount
  const readyBytesInRam = q.readyCount === 0 ? 0 : (bytesReady * (q.readyCount - pagedOut)) / q.readyCount
  const out: Item = {
    arguments: tableToJson(q.args),
    auto_delete: q.autoDelete,
    consumer_capacity: q.consumerCount > 0 ? 1 : 0,
    consumer_utilisation: q.consumerCount > 0 ? 1 : 0,
    consumers: q.consumerCount,
    durable: q.durable,
    effective_policy_definition: effectivePolicy(q.policy, q.operatorPolicy),
    exclusive: q.exclusiveOwner !== undefined,
    exclusive_consumer_tag: exclusiveConsumer?.tag ?? null,
    head_message_timestamp: null,
    memory: Math.round(QUEUE_OVERHEAD + q.messageCount * ENTRY_OVERHEAD + readyBytesInRam + bytesUnacked),
    message_bytes: bytesReady + bytesUnacked,
    message_bytes_ready: bytesReady,
    message_bytes_unacknowledged: bytesUnacked,
  }
  const stats = formatMessageStats(values, rates, QUEUE_GROUPS)
  if (stats) out['message_stats'] = stats
  withDetails(out, values, rates, ['messages'])
  out['messages_paged_out'] = pagedOut
  // The deduplication plugin's cache info of an x-message-deduplication queue: keys of messages in it.
  const dedup = q.deduplication
  if (dedup) {
    out['message_deduplication_cache_info'] = { entries: dedup.size }
    out['messages_deduplicated'] = dedup.deduplicated
  }
  out['messages_ram'] = q.messageCount - pagedOut
  withDetails(out, values, rates, ['messages_ready'])
  out['messages_ready_ram'] = q.readyCount - pagedOut
  withDetails(out, values, rates, ['messages_unacknowledged'])
  out['messages_unacknowledged_ram'] = q.unackedCount
  // Warren's own field: returned messages waiting for their retry backoff (LavinMQ shows them as the
  // length of its amq.retry- queue). They are neither ready nor unacknowledged.
  out['messages_delayed'] = q.delayedCount
  Object.assign(out, {
    name: q.name,
    node: ctx.nodeName,
    operator_policy: q.operatorPolicy?.name ?? null,
    policy: q.policy?.name ?? null,
    recoverable_slaves: null,
    single_active_consumer_tag: q.activeConsumer?.tag ?? null,
    state: 'running',
    type: q.type,
    vhost: q.vhost,
  })
  // A quorum queue's Raft members, a stream's replicas: this node alone until clustering replicates them.
  if (q.type === 'quorum') {
    Object.assign(out, { leader: ctx.nodeName, members: [ctx.nodeName], online: [ctx.nodeName] })
  } else if (q.type === 'stream') {
    // RabbitMQ 3.10 lists a stream's members and online replicas, without a leader field.
    Object.assign(out, { members: [ctx.nodeName], online: [ctx.nodeName] })
  }
  const owner = q.exclusiveOwner === undefined ? undefined : owners.get(q.exclusiveOwner)
  if (owner) out['owner_pid_details'] = connectionDetails(owner)
  return out
}

export function connectionDetails(c: ConnectionView): Item {
  return {
    name: c.name,
    peer_host: displayAddress(c.socket.remoteAddress),
    peer_port: c.socket.remotePort ?? 0,
  }
}

/** RabbitMQ names the default exchange amq.default in URLs and '' in bodies. */
export function exchangeUrlName(name: string): string {
  return name === 'amq.default' ? '' : name
}

export function formatExchange(ctx: ManagementContext, ex: Exchange): Item {
  const out: Item = {
    arguments: tableToJson(ex.args),
    auto_delete: ex.autoDelete,
    durable: ex.durable,
    internal: ex.internal,
  }
  const stats = formatMessageStats(exchangeSample(ex), ctx.rates.ratesOf(ex), EXCHANGE_GROUPS)
  if (stats) out['message_stats'] = stats
  Object.assign(out, { name: ex.name, policy: ex.policy?.name ?? null, type: ex.type, vhost: ex.vhost })
  // The delayed-message plugin's exchange info item: messages the exchange holds until they are due.
  if (ex instanceof DelayedExchange) {
    out['messages_delayed'] = ex.heldCount
    const next = ex.nextDue
    out['next_delayed_delivery'] = next === undefined ? null : new Date(next).toISOString()
    const l = ex.lateness
    out['delayed_lateness_ms'] = { samples: l.samples, p50: l.p50, p99: l.p99, p999: l.p999, max: l.max }
  }
  // The deduplication plugin's cache_info (entries and size; Erlang's byte count has no meaning here).
  if (ex instanceof DedupExchange) {
    out['cache_info'] = { entries: ex.cacheSize, size: ex.cacheCapacity }
    out['messages_deduplicated'] = ex.deduplicated
  }
  return out
}

// ---- bindings ----

/** What a listing shows of a binding; the default exchange's implicit ones have no Binding object. */
export interface BindingView {
  readonly source: string
  readonly vhost: string
  readonly destination: string
  readonly destinationType: 'queue' | 'exchange'
  readonly routingKey: string
  readonly args: Binding['args']
}

export function bindingView(b: Binding): BindingView {
  return {
    source: b.source.name,
    vhost: b.source.vhost,
    destination: b.destination.name,
    destinationType: isQueue(b.destination) ? 'queue' : 'exchange',
    routingKey: b.routingKey,
    args: b.args,
  }
}

export function defaultBinding(q: Queue): BindingView {
  return {
    source: '',
    vhost: q.vhost,
    destination: q.name,
    destinationType: 'queue',
    routingKey: q.name,
    args: {},
  }
}

export function formatBinding(b: BindingView): Item {
  return {
    source: b.source,
    vhost: b.vhost,
    destination: b.destination,
    destination_type: b.destinationType,
    routing_key: b.routingKey,
    arguments: tableToJson(b.args),
    properties_key: propertiesKey(b),
  }
}

/** Every binding of a vhost: the default exchange's implicit ones first, as RabbitMQ lists them. */
export function vhostBindings(v: VHost): BindingView[] {
  const out: BindingView[] = []
  for (const q of v.queues.values()) out.push(defaultBinding(q))
  for (const ex of v.exchanges.values()) for (const b of ex.bindings) out.push(bindingView(b))
  return out
}

/**
 * RabbitMQ's binding id in URLs: the routing key quoted as its quote_plus does (with '~' escaped),
 * then '~' and a short hash of the arguments when there are any; '~' alone for an empty key.
 */
export function propertiesKey(b: { routingKey: string; args: Binding['args'] }): string {
  const hasArgs = Object.keys(b.args).length > 0
  if (b.routingKey === '' && !hasArgs) return '~'
  const key = quoteBinding(b.routingKey)
  return hasArgs ? `${key}~${argsHash(b.args)}` : key
}

export function argsHash(args: Binding['args']): string {
  const canonical = JSON.stringify(sortKeys(tableToJson(args)))
  return createHash('sha256').update(canonical).digest().subarray(0, 4).toString('base64url')
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (typeof v !== 'object' || v === null) return v
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k])
  return out
}

function quoteBinding(s: string): string {
  let out = ''
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte)
    if (/[A-Za-z0-9_.-]/.test(ch)) out += ch
    else if (ch === ' ') out += '+'
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** Whether a properties key from a URL names `b`; accepts it quoted or already percent-decoded once. */
export function matchesPropertiesKey(b: BindingView, props: string): boolean {
  if (props === propertiesKey(b)) return true
  const at = props.lastIndexOf('~')
  const keyPart = at < 0 ? props : props.slice(0, at)
  const hashPart = at < 0 ? '' : props.slice(at + 1)
  const hasArgs = Object.keys(b.args).length > 0
  if (hasArgs ? hashPart !== argsHash(b.args) : hashPart !== '') return false
  return unquote(keyPart) === b.routingKey || keyPart === b.routingKey
}

function unquote(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

/** The definition in force: the policy's, with an operator policy's values where they are lower. */
function effectivePolicy(policy: Policy | undefined, operator: Policy | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(policy?.definition ?? {}) }
  for (const [k, v] of Object.entries(operator?.definition ?? {})) {
    const mine = out[k]
    out[k] = typeof mine === 'number' && typeof v === 'number' ? Math.min(mine, v) : v
  }
  return out
}
