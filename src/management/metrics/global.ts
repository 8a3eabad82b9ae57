// What RabbitMQ's other collectors add to /metrics and /metrics/per-object: object totals, the global
// message counters (rabbitmq_global_*, labelled with the protocol, queue type and dead-letter strategy as
// RabbitMQ 3.10 labels them), resource alarms, and the build and identity info every endpoint carries.
import { type Alarm, isQueue, type ProtocolCounters } from '../../core/index.js'
import { type ManagementContext, openConnections } from '../context.js'
import { addInto, vhostSample } from '../format/stats.js'
import type { Exposition, Labels, MetricKind } from './exposition.js'

type Totals = Record<string, number>

/** The node's message counters: every vhost's publish-side counters and its queues' deliveries. */
function messageTotals(ctx: ManagementContext): Totals {
  const t: Totals = {}
  for (const v of ctx.broker.vhosts.values()) addInto(t, vhostSample(v, undefined))
  return t
}

/** Open connections, channels and consumers, and channels that have published. */
function clientTotals(ctx: ManagementContext): Totals {
  const t = { connections: 0, channels: 0, consumers: 0, publishers: 0 }
  for (const c of openConnections(ctx)) {
    t.connections++
    for (const ch of c.channels.values()) {
      t.channels++
      t.consumers += ch.consumers.size
      if (ch.stats.publish > 0) t.publishers++
    }
  }
  return t
}

function queueCount(ctx: ManagementContext): number {
  let n = 0
  for (const v of ctx.broker.vhosts.values()) for (const q of v.queues.values()) if (isQueue(q)) n++
  return n
}

/** rabbitmq_connections, _channels, _consumers, _queues. */
export function emitTotals(out: Exposition, ctx: ManagementContext): void {
  const t = clientTotals(ctx)
  out.metric('rabbitmq_connections', 'gauge', 'Connections currently open', t['connections'] ?? 0)
  out.metric('rabbitmq_channels', 'gauge', 'Channels currently open', t['channels'] ?? 0)
  out.metric('rabbitmq_consumers', 'gauge', 'Consumers currently connected', t['consumers'] ?? 0)
  out.metric('rabbitmq_queues', 'gauge', 'Queues available', queueCount(ctx))
}

const AMQP = { protocol: 'amqp091' }
// Warren's one queue type, under the name RabbitMQ gives its classic queues.
const CLASSIC = { protocol: 'amqp091', queue_type: 'rabbit_classic_queue' }

type Global = readonly [name: string, kind: MetricKind, help: string, key: string, labels: Labels]

const GLOBAL: readonly Global[] = [
  ['consumers', 'gauge', 'Current number of consumers', 'consumers', AMQP],
  [
    'messages_acknowledged_total',
    'counter',
    'Total number of messages acknowledged by consumers',
    'ack',
    CLASSIC,
  ],
  [
    'messages_confirmed_total',
    'counter',
    'Total number of messages confirmed to publishers',
    'confirm',
    AMQP,
  ],
  [
    'messages_delivered_consume_auto_ack_total',
    'counter',
    'Total number of messages delivered to consumers using basic.consume with automatic acknowledgment',
    'deliver_no_ack',
    CLASSIC,
  ],
  [
    'messages_delivered_consume_manual_ack_total',
    'counter',
    'Total number of messages delivered to consumers using basic.consume with manual acknowledgment',
    'deliver',
    CLASSIC,
  ],
  [
    'messages_delivered_get_auto_ack_total',
    'counter',
    'Total number of messages delivered to consumers using basic.get with automatic acknowledgment',
    'get_no_ack',
    CLASSIC,
  ],
  [
    'messages_delivered_get_manual_ack_total',
    'counter',
    'Total number of messages delivered to consumers using basic.get with manual acknowledgment',
    'get',
    CLASSIC,
  ],
  [
    'messages_delivered_total',
    'counter',
    'Total number of messages delivered to consumers',
    'deliver_get',
    CLASSIC,
  ],
  [
    'messages_get_empty_total',
    'counter',
    'Total number of times basic.get operations fetched no message',
    'get_empty',
    CLASSIC,
  ],
  [
    'messages_received_confirm_total',
    'counter',
    'Total number of messages received from publishers expecting confirmations',
    'received_confirm',
    AMQP,
  ],
  [
    'messages_received_total',
    'counter',
    'Total number of messages received from publishers',
    'publish',
    AMQP,
  ],
  [
    'messages_redelivered_total',
    'counter',
    'Total number of messages redelivered to consumers',
    'redeliver',
    CLASSIC,
  ],
  [
    'messages_routed_total',
    'counter',
    'Total number of messages routed to queues or streams',
    'routed',
    AMQP,
  ],
  [
    'messages_unroutable_dropped_total',
    'counter',
    'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    'drop_unroutable',
    AMQP,
  ],
  [
    'messages_unroutable_returned_total',
    'counter',
    'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    'return_unroutable',
    AMQP,
  ],
  ['publishers', 'gauge', 'Current number of publishers', 'publishers', AMQP],
]

const DEAD_LETTERED = [
  ['delivery_limit', 'Total number of messages dead-lettered due to delivery-limit exceeded'],
  ['expired', 'Total number of messages dead-lettered due to message TTL exceeded'],
  ['maxlen', 'Total number of messages dead-lettered due to overflow drop-head or reject-publish-dlx'],
  ['rejected', 'Total number of messages dead-lettered due to basic.reject or basic.nack'],
] as const

/** rabbitmq_global_*: the node's message counters as RabbitMQ 3.10 reports them. */
export function emitGlobal(out: Exposition, ctx: ManagementContext): void {
  const t: Totals = { ...messageTotals(ctx), ...clientTotals(ctx) }
  let receivedConfirm = 0
  for (const v of ctx.broker.vhosts.values()) receivedConfirm += v.counters.receivedConfirm
  t['received_confirm'] = receivedConfirm
  // Routed: received and neither returned nor dropped as unroutable.
  t['routed'] = (t['publish'] ?? 0) - (t['return_unroutable'] ?? 0) - (t['drop_unroutable'] ?? 0)
  leaveOutOtherProtocols(t, ctx.broker.protocolCounters)
  for (const [name, kind, help, key, labels] of GLOBAL) {
    out.metric(`rabbitmq_global_${name}`, kind, help, t[key] ?? 0, labels)
    // The same counter of the other front ends that keep one, next to AMQP's (one name, contiguous).
    for (const pc of ctx.broker.protocolCounters) {
      const l =
        labels === CLASSIC ? { protocol: pc.protocol, queue_type: pc.queueType } : { protocol: pc.protocol }
      out.sample(`rabbitmq_global_${name}`, protocolValue(pc, key), l)
    }
  }
  emitDeadLettered(out, ctx)
  for (const pc of ctx.broker.protocolCounters) emitProtocolErrors(out, pc)
}

/**
 * The vhosts' totals count MQTT and STOMP messages and clients as well: AMQP 0-9-1's samples are what is
 * left once those front ends' own samples are taken out (as RabbitMQ 3.12+ counts native MQTT apart).
 */
function leaveOutOtherProtocols(t: Totals, counters: readonly ProtocolCounters[]): void {
  for (const pc of counters) {
    if (!pc.inVhostTotals) continue
    for (const [, , , key] of GLOBAL) t[key] = Math.max(0, (t[key] ?? 0) - protocolValue(pc, key))
  }
}

/** A front end's value of one rabbitmq_global_* counter (those it has no such thing for are 0). */
function protocolValue(pc: ProtocolCounters, key: string): number {
  switch (key) {
    case 'consumers':
      return pc.gauges().consumers
    case 'publishers':
      return pc.gauges().publishers
    case 'publish':
      return pc.received
    case 'received_confirm':
      return pc.receivedConfirm
    case 'confirm':
      return pc.confirmed
    case 'routed':
      return pc.routed
    case 'drop_unroutable':
      return pc.unroutableDropped
    case 'return_unroutable':
      return pc.unroutableReturned
    case 'deliver_get':
      return pc.delivered
    case 'deliver':
      return pc.deliveredManualAck
    case 'deliver_no_ack':
      return pc.deliveredAutoAck
    case 'redeliver':
      return pc.redelivered
    case 'ack':
      return pc.acknowledged
    default:
      return 0
  }
}

/** rabbitmq_global_<protocol>_error_<name>_total: commands answered with that error. */
function emitProtocolErrors(out: Exposition, pc: ProtocolCounters): void {
  for (const [name, count] of pc.errors) {
    const help = `Total number of commands failed with ${name.replace(/_/g, ' ')}`
    out.metric(`rabbitmq_global_${pc.protocol}_error_${name}_total`, 'counter', help, count, {
      protocol: pc.protocol,
    })
  }
}

/** Dead letters by reason: routed to a dead-letter exchange (at_most_once) or dropped (disabled). */
function emitDeadLettered(out: Exposition, ctx: ManagementContext): void {
  for (const [reason, help] of DEAD_LETTERED) {
    let routed = 0
    let dropped = 0
    for (const v of ctx.broker.vhosts.values()) {
      routed += v.counters.deadLettered[reason]
      dropped += v.counters.dropped[reason]
    }
    const name = `rabbitmq_global_messages_dead_lettered_${reason}_total`
    const labels = (strategy: string): Labels => ({
      queue_type: 'rabbit_classic_queue',
      dead_letter_strategy: strategy,
    })
    out.metric(name, 'counter', help, routed, labels('at_most_once'))
    out.metric(name, 'counter', help, dropped, labels('disabled'))
  }
}

/** rabbitmq_alarms_*: 1 while the alarm is set. Warren has no file descriptor alarm: always 0. */
export function emitAlarms(out: Exposition, ctx: ManagementContext): void {
  const alarm = (a: Alarm): number => (ctx.broker.alarms.has(a) ? 1 : 0)
  out.metric(
    'rabbitmq_alarms_file_descriptor_limit',
    'untyped',
    'is 1 if file descriptor limit alarm is in effect',
    0,
  )
  out.metric(
    'rabbitmq_alarms_free_disk_space_watermark',
    'untyped',
    'is 1 if free disk space watermark alarm is in effect',
    alarm('disk'),
  )
  out.metric(
    'rabbitmq_alarms_memory_used_watermark',
    'untyped',
    'is 1 if VM memory watermark alarm is in effect',
    alarm('memory'),
  )
}

/**
 * rabbitmq_build_info and rabbitmq_identity_info, which every endpoint carries. `rabbitmq_endpoint`
 * (aggregated, per-object, detailed) is the label later RabbitMQ releases add and their Overview
 * dashboard selects targets by.
 */
export function emitInfo(out: Exposition, ctx: ManagementContext, endpoint: string): void {
  out.metric('rabbitmq_build_info', 'untyped', 'RabbitMQ & Erlang/OTP version info', 1, {
    rabbitmq_version: ctx.rabbitmqVersion,
    prometheus_plugin_version: ctx.productVersion,
    product_name: 'Warren',
    product_version: ctx.productVersion,
  })
  out.metric('rabbitmq_identity_info', 'untyped', 'RabbitMQ node & cluster identity info', 1, {
    rabbitmq_node: ctx.nodeName,
    rabbitmq_cluster: ctx.nodeName,
    rabbitmq_endpoint: endpoint,
  })
}
