// The queue families: depths, consumers, bytes in and out of memory, and the counters each queue keeps,
// one row per queue labelled vhost and queue. These are the only families `vhost=` limits, as in
// RabbitMQ. Not served: the Erlang process's memory and reductions, persistent message counts and the
// head message's timestamp (not kept per queue), disk reads and writes (not counted per queue).
import { isQueue, type Queue } from '../../core/index.js'
import type { ManagementContext } from '../context.js'
import type { Labels } from './exposition.js'
import { defineFamily, type Family, type MetricSpec, type VhostFilter } from './families.js'

function* queues(ctx: ManagementContext, vhosts: VhostFilter): Generator<readonly [Labels, Queue]> {
  for (const v of ctx.broker.vhosts.values()) {
    if (vhosts && !vhosts.has(v.name)) continue
    for (const q of v.queues.values()) if (isQueue(q)) yield [{ vhost: v.name, queue: q.name }, q]
  }
}

const perQueue = (metrics: ReadonlyArray<MetricSpec<Queue>>): Family =>
  defineFamily({ perObject: true, vhostFiltered: true, objects: queues, metrics })

export const queueCoarse: Family = perQueue([
  ['queue_messages_ready', 'gauge', 'Messages ready to be delivered to consumers', (q) => q.readyCount],
  [
    'queue_messages_unacked',
    'gauge',
    'Messages delivered to consumers but not yet acknowledged',
    (q) => q.unackedCount,
  ],
  [
    'queue_messages',
    'gauge',
    'Sum of ready and unacknowledged messages - total queue depth',
    (q) => q.messageCount,
  ],
])

const consumers: MetricSpec<Queue> = [
  'queue_consumers',
  'gauge',
  'Consumers on a queue',
  (q) => q.consumerCount,
]

export const queueConsumerCount: Family = perQueue([consumers])

// Capacity as the HTTP API reports it: a queue with consumers delivers as fast as it is asked.
const capacity = (q: Queue): number => (q.consumerCount > 0 ? 1 : 0)

export const queueMetrics: Family = perQueue([
  consumers,
  ['queue_consumer_capacity', 'gauge', 'Consumer capacity', capacity],
  ['queue_consumer_utilisation', 'gauge', 'Same as consumer capacity', capacity],
  [
    'queue_messages_ram',
    'gauge',
    'Ready and unacknowledged messages stored in memory',
    (q) => q.messageCount - q.pagedOutCount,
  ],
  [
    'queue_messages_ram_bytes',
    'gauge',
    'Size of ready and unacknowledged messages stored in memory',
    (q) => q.memoryBytes,
  ],
  [
    'queue_messages_ready_ram',
    'gauge',
    'Ready messages stored in memory',
    (q) => q.readyCount - q.pagedOutCount,
  ],
  ['queue_messages_unacked_ram', 'gauge', 'Unacknowledged messages stored in memory', (q) => q.unackedCount],
  [
    'queue_messages_bytes',
    'gauge',
    'Size in bytes of ready and unacknowledged messages',
    (q) => q.readyByteCount + q.unackedByteCount,
  ],
  ['queue_messages_ready_bytes', 'gauge', 'Size in bytes of ready messages', (q) => q.readyByteCount],
  [
    'queue_messages_unacked_bytes',
    'gauge',
    'Size in bytes of all unacknowledged messages',
    (q) => q.unackedByteCount,
  ],
  ['queue_messages_paged_out', 'gauge', 'Messages paged out to disk', (q) => q.pagedOutCount],
  [
    'queue_messages_paged_out_bytes',
    'gauge',
    'Size in bytes of messages paged out to disk',
    (q) => q.readyByteCount + q.unackedByteCount - q.memoryBytes,
  ],
])

/**
 * Messages each queue took in. RabbitMQ counts them per channel, queue and exchange; Warren per queue
 * only (a count per pair would cost a lookup per message), so the labels are the queue's.
 */
export const queuePublished: Family = defineFamily({
  perObject: true,
  objects: function* (ctx) {
    for (const [l, q] of queues(ctx, undefined)) yield [{ queue_vhost: l['vhost'] ?? '', queue: q.name }, q]
  },
  metrics: [
    [
      'queue_messages_published_total',
      'counter',
      'Total number of messages published to queues',
      (q: Queue) => q.stats.publish,
    ],
  ],
})

/** Deliveries and acknowledgements per queue: RabbitMQ 4's queue_delivery_metrics family. */
export const queueDelivery: Family = perQueue([
  [
    'queue_get_ack_total',
    'counter',
    'Total number of messages fetched from a queue with basic.get in manual acknowledgement mode',
    (q) => q.stats.get,
  ],
  [
    'queue_get_total',
    'counter',
    'Total number of messages fetched from a queue with basic.get in automatic acknowledgement mode',
    (q) => q.stats.getNoAck,
  ],
  [
    'queue_messages_delivered_ack_total',
    'counter',
    'Total number of messages delivered from a queue to consumers in manual acknowledgement mode',
    (q) => q.stats.deliver,
  ],
  [
    'queue_messages_delivered_total',
    'counter',
    'Total number of messages delivered from a queue to consumers in automatic acknowledgement mode',
    (q) => q.stats.deliverNoAck,
  ],
  [
    'queue_messages_redelivered_total',
    'counter',
    'Total number of messages redelivered from a queue to consumers',
    (q) => q.stats.redeliver,
  ],
  [
    'queue_messages_acked_total',
    'counter',
    'Total number of messages acknowledged by consumers on a queue',
    (q) => q.stats.ack,
  ],
  [
    'queue_get_empty_total',
    'counter',
    'Total number of times basic.get operations fetched no message on a queue',
    (q) => q.stats.getEmpty,
  ],
])
