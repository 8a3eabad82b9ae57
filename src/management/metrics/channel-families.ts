// The channel and connection families, one row per open channel or connection. RabbitMQ labels both
// with `channel` (its label for any process id) holding the pid; Warren, which has no pids, puts the
// channel's or connection's name there, as `warren ctl` does in pid columns. RabbitMQ counts publishes
// per channel and exchange, deliveries per channel and queue; Warren per channel only (a count per pair
// would cost a lookup per message), so those rows are labelled channel and vhost. Not served: Erlang
// reductions, and packet counts (Warren counts bytes, not socket reads and writes).
import type { MessageStats } from '../../core/index.js'
import { type ChannelView, type ConnectionView, type ManagementContext, openConnections } from '../context.js'
import { channelName } from '../format/connections.js'
import type { Labels } from './exposition.js'
import { defineFamily, type Family } from './families.js'

function* channels(ctx: ManagementContext): Generator<readonly [ConnectionView, ChannelView]> {
  for (const c of openConnections(ctx)) for (const ch of c.channels.values()) yield [c, ch]
}

export const channelMetrics: Family = defineFamily<ChannelView>({
  perObject: true,
  objects: function* (ctx) {
    for (const [c, ch] of channels(ctx)) yield [{ channel: channelName(c, ch) }, ch]
  },
  metrics: [
    ['channel_consumers', 'gauge', 'Consumers on a channel', (ch) => ch.consumers.size],
    [
      'channel_messages_unacked',
      'gauge',
      'Delivered but not yet acknowledged messages',
      (ch) => ch.unacked.count,
    ],
    [
      'channel_messages_unconfirmed',
      'gauge',
      'Published but not yet confirmed messages',
      (ch) => ch.unconfirmedCount,
    ],
    [
      'channel_messages_uncommitted',
      'gauge',
      'Messages received in a transaction but not yet committed',
      (ch) => ch.uncommittedCount,
    ],
    [
      'channel_acks_uncommitted',
      'gauge',
      'Message acknowledgements in a transaction not yet committed',
      (ch) => ch.uncommittedAckCount,
    ],
    [
      'consumer_prefetch',
      'gauge',
      'Limit of unacknowledged messages for each consumer',
      (ch) => ch.prefetchCount,
    ],
    [
      'channel_prefetch',
      'gauge',
      'Total limit of unacknowledged messages for all consumers on a channel',
      (ch) => ch.globalPrefetch,
    ],
  ],
})

/** Channels with their message counters, labelled channel and vhost. */
function* channelStats(ctx: ManagementContext): Generator<readonly [Labels, MessageStats]> {
  for (const [c, ch] of channels(ctx))
    yield [{ channel: channelName(c, ch), vhost: c.vhost?.name ?? '' }, ch.stats]
}

export const channelExchange: Family = defineFamily<MessageStats>({
  perObject: true,
  objects: channelStats,
  metrics: [
    [
      'channel_messages_published_total',
      'counter',
      'Total number of messages published into an exchange on a channel',
      (s) => s.publish,
    ],
    [
      'channel_messages_confirmed_total',
      'counter',
      'Total number of messages published into an exchange and confirmed on the channel',
      (s) => s.confirm,
    ],
    [
      'channel_messages_unroutable_returned_total',
      'counter',
      'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
      (s) => s.returnUnroutable,
    ],
    [
      'channel_messages_unroutable_dropped_total',
      'counter',
      'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
      (s) => s.dropUnroutable,
    ],
  ],
})

export const channelQueue: Family = defineFamily<MessageStats>({
  perObject: true,
  objects: channelStats,
  metrics: [
    [
      'channel_get_ack_total',
      'counter',
      'Total number of messages fetched with basic.get in manual acknowledgement mode',
      (s) => s.get,
    ],
    [
      'channel_get_total',
      'counter',
      'Total number of messages fetched with basic.get in automatic acknowledgement mode',
      (s) => s.getNoAck,
    ],
    [
      'channel_messages_delivered_ack_total',
      'counter',
      'Total number of messages delivered to consumers in manual acknowledgement mode',
      (s) => s.deliver,
    ],
    [
      'channel_messages_delivered_total',
      'counter',
      'Total number of messages delivered to consumers in automatic acknowledgement mode',
      (s) => s.deliverNoAck,
    ],
    [
      'channel_messages_redelivered_total',
      'counter',
      'Total number of messages redelivered to consumers',
      (s) => s.redeliver,
    ],
    [
      'channel_messages_acked_total',
      'counter',
      'Total number of messages acknowledged by consumers',
      (s) => s.ack,
    ],
    [
      'channel_get_empty_total',
      'counter',
      'Total number of times basic.get operations fetched no message',
      (s) => s.getEmpty,
    ],
  ],
})

function* connections(ctx: ManagementContext): Generator<readonly [Labels, ConnectionView]> {
  for (const c of openConnections(ctx)) yield [{ channel: c.name }, c]
}

export const connectionCoarse: Family = defineFamily<ConnectionView>({
  perObject: true,
  objects: connections,
  metrics: [
    [
      'connection_incoming_bytes_total',
      'counter',
      'Total number of bytes received on a connection',
      (c) => c.socket.bytesRead,
    ],
    [
      'connection_outgoing_bytes_total',
      'counter',
      'Total number of bytes sent on a connection',
      (c) => c.socket.bytesWritten,
    ],
  ],
})

export const connectionMetrics: Family = defineFamily<ConnectionView>({
  perObject: true,
  objects: connections,
  metrics: [['connection_channels', 'gauge', 'Channels on a connection', (c) => c.channels.size]],
})
