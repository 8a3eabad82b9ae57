// Connections, channels and consumers in RabbitMQ's JSON shape, read from the AMQP layer's live objects.
import { displayAddress } from '../../shared/index.js'
import type { ChannelView, ConnectionView, ConsumerView, ManagementContext } from '../context.js'
import { tableToJson } from '../json.js'
import type { Item } from '../listing.js'
import { CHANNEL_GROUPS, connectionSample, formatMessageStats, messageSample, withDetails } from './stats.js'
import { tlsFields } from './tls-fields.js'

type OpenConnection = ConnectionView & { vhost: { name: string }; user: { name: string } }

const STATES: Readonly<Record<string, string>> = {
  header: 'starting',
  handshake: 'starting',
  open: 'running',
  closing: 'closing',
  closed: 'closed',
}

export function formatConnection(ctx: ManagementContext, c: OpenConnection): Item {
  const s = c.socket
  const out: Item = {
    auth_mechanism: (c as { authMechanism?: string }).authMechanism ?? 'PLAIN',
    channel_max: c.channelMax,
    channels: c.channels.size,
    client_properties: tableToJson(c.clientProperties),
    connected_at: c.connectedAt,
    frame_max: c.frameMax,
    host: displayAddress(s.localAddress),
    name: c.name,
    node: ctx.nodeName,
    peer_cert_issuer: null,
    peer_cert_subject: null,
    peer_cert_validity: null,
    peer_host: displayAddress(s.remoteAddress),
    peer_port: s.remotePort ?? 0,
    port: s.localPort ?? 0,
    protocol: c.protocol ?? 'AMQP 0-9-1',
  }
  withDetails(out, connectionSample(c), ctx.rates.ratesOf(c), ['recv_oct'])
  withDetails(out, connectionSample(c), ctx.rates.ratesOf(c), ['send_oct'])
  Object.assign(out, {
    send_pend: s.writableLength,
    ...tlsFields(s),
    state: STATES[c.state] ?? c.state,
    timeout: c.heartbeatSeconds,
    type: 'network',
    user: c.user.name,
    user_who_performed_action: c.user.name,
    vhost: c.vhost.name,
  })
  const given = c.clientProperties['connection_name']
  if (typeof given === 'string') out['user_provided_name'] = given
  return out
}

export function channelName(c: ConnectionView, ch: ChannelView): string {
  return `${c.name} (${ch.id})`
}

export function formatChannel(ctx: ManagementContext, c: OpenConnection, ch: ChannelView): Item {
  const out: Item = {
    acks_uncommitted: ch.uncommittedAckCount,
    confirm: ch.confirmMode,
    connection_details: {
      name: c.name,
      peer_host: displayAddress(c.socket.remoteAddress),
      peer_port: c.socket.remotePort ?? 0,
    },
    consumer_count: ch.consumers.size,
    global_prefetch_count: ch.globalPrefetch,
  }
  const stats = formatMessageStats(messageSample(ch.stats), ctx.rates.ratesOf(ch), CHANNEL_GROUPS)
  if (stats) out['message_stats'] = stats
  Object.assign(out, {
    messages_unacknowledged: ch.unacked.count,
    messages_uncommitted: ch.uncommittedCount,
    messages_unconfirmed: ch.unconfirmedCount,
    name: channelName(c, ch),
    node: ctx.nodeName,
    number: ch.id,
    pending_raft_commands: 0,
    prefetch_count: ch.prefetchCount,
    state: ch.flowActive ? 'running' : 'flow',
    transactional: ch.txMode,
    user: c.user.name,
    user_who_performed_action: c.user.name,
    vhost: c.vhost.name,
  })
  return out
}

export function formatConsumer(
  ctx: ManagementContext,
  c: OpenConnection,
  ch: ChannelView,
  k: ConsumerView,
): Item {
  const q = k.queue
  const active = !q.settings.singleActiveConsumer || q.activeConsumer === (k as unknown)
  return {
    arguments: tableToJson(k.args),
    ack_required: !k.noAck,
    active,
    activity_status: active ? 'up' : 'waiting',
    channel_details: {
      connection_name: c.name,
      name: channelName(c, ch),
      node: ctx.nodeName,
      number: ch.id,
      peer_host: displayAddress(c.socket.remoteAddress),
      peer_port: c.socket.remotePort ?? 0,
      user: c.user.name,
    },
    consumer_tag: k.tag,
    exclusive: k.exclusive,
    prefetch_count: k.prefetch,
    queue: { name: q.name, vhost: q.vhost },
  }
}
