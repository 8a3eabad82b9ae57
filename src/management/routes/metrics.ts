// Prometheus metrics in the text exposition format, with the names of RabbitMQ's rabbitmq_prometheus
// plugin where one exists: /metrics (aggregated, cheap) and /metrics/per-object (per queue). Built from
// the same counters as the management API; nothing here scans messages. Unauthenticated, as the plugin.
import { type Alarm, isQueue } from '../../core/index.js'
import type { ManagementContext } from '../context.js'
import { openConnections } from '../context.js'
import { addInto, vhostSample } from '../format/stats.js'
import type { FastifyInstance } from 'fastify'

type Kind = 'gauge' | 'counter' | 'untyped'

class Exposition {
  private readonly lines: string[] = []
  private readonly declared = new Set<string>()

  metric(name: string, kind: Kind, help: string, value: number, labels?: Record<string, string>): void {
    if (!this.declared.has(name)) {
      this.declared.add(name)
      this.lines.push(`# TYPE ${name} ${kind}`, `# HELP ${name} ${help}`)
    }
    const l = labels
      ? `{${Object.entries(labels)
          .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
          .join(',')}}`
      : ''
    this.lines.push(`${name}${l} ${value}`)
  }

  toString(): string {
    return this.lines.join('\n') + '\n'
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function aggregated(ctx: ManagementContext): string {
  const out = new Exposition()
  const conns = [...openConnections(ctx)]
  let channels = 0
  let consumers = 0
  for (const c of conns) {
    channels += c.channels.size
    for (const ch of c.channels.values()) consumers += ch.consumers.size
  }
  const totals: Record<string, number> = {}
  let queues = 0
  for (const v of ctx.broker.vhosts.values()) {
    addInto(totals, vhostSample(v, undefined))
    queues += v.queues.size
  }
  const t = (k: string): number => totals[k] ?? 0
  out.metric('rabbitmq_connections', 'gauge', 'Connections currently open', conns.length)
  out.metric('rabbitmq_channels', 'gauge', 'Channels currently open', channels)
  out.metric('rabbitmq_consumers', 'gauge', 'Consumers currently connected', consumers)
  out.metric('rabbitmq_queues', 'gauge', 'Queues available', queues)
  out.metric(
    'rabbitmq_queue_messages_ready',
    'gauge',
    'Messages ready to be delivered to consumers',
    t('messages_ready'),
  )
  out.metric(
    'rabbitmq_queue_messages_unacked',
    'gauge',
    'Messages delivered to consumers but not yet acknowledged',
    t('messages_unacknowledged'),
  )
  out.metric('rabbitmq_queue_messages', 'gauge', 'Sum of ready and unacknowledged messages', t('messages'))
  const counters: Array<[string, string, string]> = [
    [
      'rabbitmq_global_messages_received_total',
      'publish',
      'Total number of messages received from publishers',
    ],
    [
      'rabbitmq_global_messages_confirmed_total',
      'confirm',
      'Total number of messages confirmed to publishers',
    ],
    [
      'rabbitmq_global_messages_unroutable_returned_total',
      'return_unroutable',
      'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    ],
    [
      'rabbitmq_global_messages_unroutable_dropped_total',
      'drop_unroutable',
      'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    ],
    [
      'rabbitmq_global_messages_delivered_consume_auto_ack_total',
      'deliver_no_ack',
      'Total number of messages delivered to consumers using automatic acknowledgement',
    ],
    [
      'rabbitmq_global_messages_delivered_consume_manual_ack_total',
      'deliver',
      'Total number of messages delivered to consumers using manual acknowledgement',
    ],
    [
      'rabbitmq_global_messages_delivered_get_auto_ack_total',
      'get_no_ack',
      'Total number of messages delivered to consumers using basic.get with automatic acknowledgement',
    ],
    [
      'rabbitmq_global_messages_delivered_get_manual_ack_total',
      'get',
      'Total number of messages delivered to consumers using basic.get with manual acknowledgement',
    ],
    [
      'rabbitmq_global_messages_get_empty_total',
      'get_empty',
      'Total number of times basic.get operations fetched no message',
    ],
    [
      'rabbitmq_global_messages_redelivered_total',
      'redeliver',
      'Total number of messages redelivered to consumers',
    ],
    [
      'rabbitmq_global_messages_acknowledged_total',
      'ack',
      'Total number of messages acknowledged by consumers',
    ],
  ]
  for (const [name, key, help] of counters) out.metric(name, 'counter', help, t(key))
  out.metric(
    'rabbitmq_global_messages_delivered_total',
    'counter',
    'Total number of messages delivered to consumers',
    t('deliver_get'),
  )
  out.metric(
    'rabbitmq_process_resident_memory_bytes',
    'gauge',
    'Memory used in bytes',
    process.memoryUsage.rss(),
  )
  const res = ctx.resources()
  out.metric('rabbitmq_resident_memory_limit_bytes', 'gauge', 'Memory high watermark in bytes', res.memLimit)
  out.metric(
    'rabbitmq_disk_space_available_limit_bytes',
    'gauge',
    'Free disk space low watermark in bytes',
    res.diskFreeLimit,
  )
  out.metric(
    'rabbitmq_disk_space_available_bytes',
    'gauge',
    'Disk space available in bytes',
    res.diskFree ?? 0,
  )
  const alarm = (a: Alarm): number => (ctx.broker.alarms.has(a) ? 1 : 0)
  out.metric(
    'rabbitmq_alarms_memory_used_watermark',
    'gauge',
    'is set when a node has a memory alarm',
    alarm('memory'),
  )
  out.metric(
    'rabbitmq_alarms_free_disk_space_watermark',
    'gauge',
    'is set when a node has a disk alarm',
    alarm('disk'),
  )
  out.metric('rabbitmq_build_info', 'untyped', 'RabbitMQ & Erlang/OTP version info', 1, {
    rabbitmq_version: ctx.rabbitmqVersion,
    product_name: 'Warren',
    product_version: ctx.productVersion,
    prometheus_plugin_version: ctx.productVersion,
  })
  out.metric('rabbitmq_identity_info', 'untyped', 'RabbitMQ node & cluster identity info', 1, {
    rabbitmq_node: ctx.nodeName,
    rabbitmq_cluster: ctx.nodeName,
  })
  return out.toString()
}

function perObject(ctx: ManagementContext): string {
  const out = new Exposition()
  for (const v of ctx.broker.vhosts.values()) {
    for (const q of v.queues.values()) {
      if (!isQueue(q)) continue
      const labels = { vhost: v.name, queue: q.name }
      out.metric(
        'rabbitmq_queue_messages_ready',
        'gauge',
        'Messages ready to be delivered to consumers',
        q.readyCount,
        labels,
      )
      out.metric(
        'rabbitmq_queue_messages_unacked',
        'gauge',
        'Messages delivered to consumers but not yet acknowledged',
        q.unackedCount,
        labels,
      )
      out.metric(
        'rabbitmq_queue_messages',
        'gauge',
        'Sum of ready and unacknowledged messages',
        q.messageCount,
        labels,
      )
      out.metric(
        'rabbitmq_queue_messages_ready_bytes',
        'gauge',
        'Size in bytes of ready messages',
        q.readyByteCount,
        labels,
      )
      out.metric('rabbitmq_queue_consumers', 'gauge', 'Consumers on a queue', q.consumerCount, labels)
      out.metric(
        'rabbitmq_queue_messages_published_total',
        'counter',
        'Total number of messages published to queues',
        q.stats.publish,
        labels,
      )
      out.metric(
        'rabbitmq_queue_messages_paged_out',
        'gauge',
        'Messages paged out to disk',
        q.pagedOutCount,
        labels,
      )
    }
  }
  return out.toString()
}

/** Registered on the server itself: unlike the API, the metrics endpoints need no credentials. */
export function registerMetricsRoutes(app: FastifyInstance, ctx: ManagementContext): void {
  const contentType = 'text/plain; version=0.0.4; charset=utf-8'
  app.get('/metrics', (_req, reply) => reply.type(contentType).send(aggregated(ctx)))
  app.get('/metrics/per-object', (_req, reply) => reply.type(contentType).send(perObject(ctx)))
}
