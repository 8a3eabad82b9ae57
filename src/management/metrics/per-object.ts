// GET /metrics/per-object: one sample per queue (labelled vhost and queue), as rabbitmq_prometheus'
// per-object endpoint, for dashboards that chart single queues.
import { isQueue } from '../../core/index.js'
import type { ManagementContext } from '../context.js'
import { emitInfo } from './aggregated.js'
import { Exposition } from './exposition.js'

export function perObject(ctx: ManagementContext): string {
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
  emitInfo(out, ctx)
  return out.toString()
}
