// GET /metrics: one sample per metric for the whole node, under rabbitmq_prometheus' names, so that the
// stock Grafana dashboards (RabbitMQ-Overview) find what they query. Built from the counters the broker
// keeps anyway; a scrape walks queues and connections but never messages.
import { type Alarm, isQueue } from '../../core/index.js'
import { type ManagementContext, openConnections } from '../context.js'
import { addInto, vhostSample } from '../format/stats.js'
import { Exposition } from './exposition.js'
import { maxFds, openFds, residentMemory, uptimeSeconds } from './process.js'

type Totals = Record<string, number>

/** Counters of the whole node: message stats of every vhost plus churn and Prometheus-only counters. */
export function nodeTotals(ctx: ManagementContext): Totals {
  const t: Totals = {}
  for (const v of ctx.broker.vhosts.values()) {
    addInto(t, vhostSample(v, undefined))
    addInto(t, { ...v.counters })
    for (const q of v.queues.values()) {
      if (!isQueue(q)) continue
      addInto(t, {
        queues: 1,
        queue_consumers: q.consumerCount,
        ready_bytes: q.readyByteCount,
        unacked_bytes: q.unackedByteCount,
        paged_out: q.pagedOutCount,
        queue_published: q.stats.publish,
      })
    }
  }
  addInto(t, { ...ctx.broker.churn })
  for (const c of openConnections(ctx)) {
    addInto(t, { connections: 1, recv_bytes: c.socket.bytesRead, send_bytes: c.socket.bytesWritten })
    for (const ch of c.channels.values()) {
      addInto(t, {
        channels: 1,
        consumers: ch.consumers.size,
        channel_unacked: ch.unacked.count,
        publishers: ch.stats.publish > 0 ? 1 : 0,
      })
    }
  }
  return t
}

export type Row = readonly [name: string, kind: 'gauge' | 'counter', help: string, key: string]

/** The churn counters (core ChurnCounters), also /metrics/detailed's churn families. */
export const CONNECTION_CHURN: readonly Row[] = [
  ['rabbitmq_connections_opened_total', 'counter', 'Connections opened since start', 'connectionsOpened'],
  ['rabbitmq_connections_closed_total', 'counter', 'Connections closed since start', 'connectionsClosed'],
]
export const CHANNEL_CHURN: readonly Row[] = [
  ['rabbitmq_channels_opened_total', 'counter', 'Channels opened since start', 'channelsOpened'],
  ['rabbitmq_channels_closed_total', 'counter', 'Channels closed since start', 'channelsClosed'],
]
export const QUEUE_CHURN: readonly Row[] = [
  [
    'rabbitmq_queues_declared_total',
    'counter',
    'Successful queue declarations (not passive)',
    'queuesDeclared',
  ],
  ['rabbitmq_queues_created_total', 'counter', 'Queues created since start', 'queuesCreated'],
  ['rabbitmq_queues_deleted_total', 'counter', 'Queues deleted since start', 'queuesDeleted'],
]

const OBJECTS: readonly Row[] = [
  ['rabbitmq_connections', 'gauge', 'Connections currently open', 'connections'],
  ['rabbitmq_channels', 'gauge', 'Channels currently open', 'channels'],
  ['rabbitmq_consumers', 'gauge', 'Consumers currently connected', 'consumers'],
  ['rabbitmq_queues', 'gauge', 'Queues available', 'queues'],
  ...CONNECTION_CHURN,
  ...CHANNEL_CHURN,
  ...QUEUE_CHURN,
]

const QUEUES: readonly Row[] = [
  ['rabbitmq_queue_messages_ready', 'gauge', 'Messages ready to be delivered to consumers', 'messages_ready'],
  [
    'rabbitmq_queue_messages_unacked',
    'gauge',
    'Messages delivered but not yet acknowledged',
    'messages_unacknowledged',
  ],
  ['rabbitmq_queue_messages', 'gauge', 'Ready and unacknowledged messages', 'messages'],
  ['rabbitmq_queue_consumers', 'gauge', 'Consumers on queues', 'queue_consumers'],
  ['rabbitmq_queue_messages_ready_bytes', 'gauge', 'Body bytes of ready messages', 'ready_bytes'],
  [
    'rabbitmq_queue_messages_unacked_bytes',
    'gauge',
    'Body bytes of unacknowledged messages',
    'unacked_bytes',
  ],
  ['rabbitmq_queue_messages_paged_out', 'gauge', 'Ready messages whose bodies are on disk only', 'paged_out'],
  ['rabbitmq_queue_messages_published_total', 'counter', 'Messages enqueued into queues', 'queue_published'],
]

const CHANNELS: readonly Row[] = [
  ['rabbitmq_channel_consumers', 'gauge', 'Consumers on channels', 'consumers'],
  [
    'rabbitmq_channel_messages_unacked',
    'gauge',
    'Deliveries on channels not yet acknowledged',
    'channel_unacked',
  ],
  ['rabbitmq_channel_messages_published_total', 'counter', 'Messages published on channels', 'publish'],
  ['rabbitmq_channel_messages_confirmed_total', 'counter', 'Messages confirmed to publishers', 'confirm'],
  [
    'rabbitmq_channel_messages_unroutable_returned_total',
    'counter',
    'Mandatory messages returned as unroutable',
    'return_unroutable',
  ],
  [
    'rabbitmq_channel_messages_unroutable_dropped_total',
    'counter',
    'Messages dropped as unroutable',
    'drop_unroutable',
  ],
  [
    'rabbitmq_channel_messages_delivered_ack_total',
    'counter',
    'Deliveries to consumers in manual ack mode',
    'deliver',
  ],
  [
    'rabbitmq_channel_messages_delivered_total',
    'counter',
    'Deliveries to consumers in automatic ack mode',
    'deliver_no_ack',
  ],
  ['rabbitmq_channel_get_ack_total', 'counter', 'basic.get answers with a message, manual ack', 'get'],
  ['rabbitmq_channel_get_total', 'counter', 'basic.get answers with a message, automatic ack', 'get_no_ack'],
  ['rabbitmq_channel_get_empty_total', 'counter', 'basic.get answered with get-empty', 'get_empty'],
  ['rabbitmq_channel_messages_redelivered_total', 'counter', 'Messages delivered again', 'redeliver'],
  ['rabbitmq_channel_messages_acked_total', 'counter', 'Deliveries acknowledged by consumers', 'ack'],
  ['rabbitmq_connection_incoming_bytes_total', 'counter', 'Bytes received on open connections', 'recv_bytes'],
  ['rabbitmq_connection_outgoing_bytes_total', 'counter', 'Bytes sent on open connections', 'send_bytes'],
  ['rabbitmq_connection_channels', 'gauge', 'Channels on open connections', 'channels'],
]

const GLOBAL: readonly Row[] = [
  ['rabbitmq_global_consumers', 'gauge', 'Consumers currently connected', 'consumers'],
  ['rabbitmq_global_publishers', 'gauge', 'Open channels that have published', 'publishers'],
  ['rabbitmq_global_messages_received_total', 'counter', 'Messages received from publishers', 'publish'],
  [
    'rabbitmq_global_messages_received_confirm_total',
    'counter',
    'Messages received on channels in confirm mode',
    'receivedConfirm',
  ],
  ['rabbitmq_global_messages_routed_total', 'counter', 'Messages routed to at least one queue', 'routed'],
  ['rabbitmq_global_messages_confirmed_total', 'counter', 'Messages confirmed to publishers', 'confirm'],
  [
    'rabbitmq_global_messages_unroutable_returned_total',
    'counter',
    'Mandatory messages returned as unroutable',
    'return_unroutable',
  ],
  [
    'rabbitmq_global_messages_unroutable_dropped_total',
    'counter',
    'Messages dropped as unroutable',
    'drop_unroutable',
  ],
  [
    'rabbitmq_global_messages_delivered_total',
    'counter',
    'Messages delivered to consumers and basic.get',
    'deliver_get',
  ],
  [
    'rabbitmq_global_messages_delivered_consume_auto_ack_total',
    'counter',
    'Deliveries in automatic ack mode',
    'deliver_no_ack',
  ],
  [
    'rabbitmq_global_messages_delivered_consume_manual_ack_total',
    'counter',
    'Deliveries in manual ack mode',
    'deliver',
  ],
  [
    'rabbitmq_global_messages_delivered_get_auto_ack_total',
    'counter',
    'basic.get deliveries, automatic ack',
    'get_no_ack',
  ],
  [
    'rabbitmq_global_messages_delivered_get_manual_ack_total',
    'counter',
    'basic.get deliveries, manual ack',
    'get',
  ],
  ['rabbitmq_global_messages_get_empty_total', 'counter', 'basic.get answered with get-empty', 'get_empty'],
  ['rabbitmq_global_messages_redelivered_total', 'counter', 'Messages delivered again', 'redeliver'],
  ['rabbitmq_global_messages_acknowledged_total', 'counter', 'Deliveries acknowledged by consumers', 'ack'],
  [
    'rabbitmq_global_messages_dead_lettered_expired_total',
    'counter',
    'Messages dead-lettered when their TTL ran out',
    'deadLetteredExpired',
  ],
  [
    'rabbitmq_global_messages_dead_lettered_maxlen_total',
    'counter',
    'Messages dead-lettered by a queue length limit',
    'deadLetteredMaxlen',
  ],
  [
    'rabbitmq_global_messages_dead_lettered_rejected_total',
    'counter',
    'Messages dead-lettered when rejected without requeue',
    'deadLetteredRejected',
  ],
]

export function emitRows(out: Exposition, rows: readonly Row[], t: Totals, prefix = ''): void {
  for (const [name, kind, help, key] of rows)
    out.metric(prefix + name.slice('rabbitmq_'.length), kind, help, t[key] ?? 0)
}

export function aggregated(ctx: ManagementContext): string {
  const out = new Exposition()
  const t = nodeTotals(ctx)
  // Routed: received and neither returned nor dropped as unroutable.
  t['routed'] = (t['publish'] ?? 0) - (t['return_unroutable'] ?? 0) - (t['drop_unroutable'] ?? 0)
  for (const rows of [OBJECTS, QUEUES, CHANNELS, GLOBAL]) emitRows(out, rows, t, 'rabbitmq_')
  emitProcess(out, ctx, 'rabbitmq_', t['connections'] ?? 0)
  emitIdentity(out, ctx)
  return out.toString()
}

/** Process and resource gauges (also the node families of /metrics/detailed, with their prefix). */
export function emitProcess(out: Exposition, ctx: ManagementContext, prefix: string, sockets: number): void {
  const res = ctx.resources()
  const fds = maxFds()
  const m = (
    name: string,
    help: string,
    v: number | undefined,
    kind: 'gauge' | 'counter' = 'gauge',
  ): void => {
    if (v !== undefined) out.metric(prefix + name, kind, help, v)
  }
  m('process_open_fds', 'Open file descriptors', openFds())
  m('process_max_fds', 'Limit on open file descriptors', fds)
  m('process_open_tcp_sockets', 'Open client TCP connections', sockets)
  m('process_max_tcp_sockets', 'Limit on client TCP connections (the file descriptor limit)', fds)
  m('process_resident_memory_bytes', 'Resident memory of the broker process in bytes', residentMemory())
  m('resident_memory_limit_bytes', 'Memory high watermark in bytes', res.memLimit)
  m('disk_space_available_bytes', 'Free disk space in bytes', res.diskFree ?? 0)
  m('disk_space_available_limit_bytes', 'Free disk space low watermark in bytes', res.diskFreeLimit)
  // The dashboards' uptime panel queries this name; Warren reports its process uptime under it.
  m('erlang_uptime_seconds', 'Broker process uptime in seconds', uptimeSeconds())
}

function emitIdentity(out: Exposition, ctx: ManagementContext): void {
  const alarm = (a: Alarm): number => (ctx.broker.alarms.has(a) ? 1 : 0)
  out.metric(
    'rabbitmq_alarms_memory_used_watermark',
    'untyped',
    'Memory alarm set (1) or not (0)',
    alarm('memory'),
  )
  out.metric(
    'rabbitmq_alarms_free_disk_space_watermark',
    'untyped',
    'Disk alarm set (1) or not (0)',
    alarm('disk'),
  )
  emitInfo(out, ctx)
}

/** rabbitmq_build_info and rabbitmq_identity_info, which every endpoint carries, as RabbitMQ's do. */
export function emitInfo(out: Exposition, ctx: ManagementContext): void {
  out.metric(
    'rabbitmq_build_info',
    'untyped',
    'Versions of the broker (RabbitMQ release followed, Warren)',
    1,
    {
      rabbitmq_version: ctx.rabbitmqVersion,
      product_name: 'Warren',
      product_version: ctx.productVersion,
      prometheus_plugin_version: ctx.productVersion,
    },
  )
  out.metric('rabbitmq_identity_info', 'untyped', 'Node and cluster identity', 1, {
    rabbitmq_node: ctx.nodeName,
    rabbitmq_cluster: ctx.nodeName,
  })
}
