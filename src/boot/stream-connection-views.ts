// Stream-protocol connections as the management API lists them beside AMQP and MQTT ones (RabbitMQ's
// /api/connections shows stream connections too, with the client's connection_name among the client
// properties). Closing one there ends its socket: stream clients take no Close from a server.
import type { ConnectionView, StreamClientView } from '../management/index.js'
import type { StreamServer } from '../stream-protocol/index.js'

type StreamConnection = StreamServer['connections'] extends Set<infer C> ? C : never

const NO_CHANNELS: ConnectionView['channels'] = new Map()

export function* streamConnectionViews(server: StreamServer): Generator<ConnectionView> {
  for (const c of server.connections) if (c.isListed) yield view(c)
}

/** Each listed connection with its publishers and consumers, for /api/stream/... */
export function* streamClientViews(server: StreamServer): Generator<StreamClientView> {
  for (const c of server.connections) {
    if (!c.isListed) continue
    yield {
      connection: view(c),
      publishers: [...c.publishers.values()].map((p) => ({
        id: p.id,
        stream: p.stream.name,
        reference: p.reference ?? '',
      })),
      consumers: [...c.subscriptions.values()].map((s) => ({
        id: s.id,
        stream: s.stream.name,
        credits: s.credit,
        properties: Object.fromEntries(s.properties),
      })),
    }
  }
}

function view(c: StreamConnection): ConnectionView {
  return {
    id: c.id,
    name: c.name,
    protocol: 'stream',
    connectedAt: c.connectedAt,
    state: 'running',
    frameMax: c.frameMax,
    channelMax: 0,
    heartbeatSeconds: c.heartbeatSeconds,
    vhost: c.vhost ? { name: c.vhost.name } : undefined,
    user: { name: c.user },
    clientProperties: Object.fromEntries(c.clientProperties),
    channels: NO_CHANNELS,
    socket: c.socket,
    forceClose: (reason) => {
      c.logger.info({ reason }, 'stream connection closed through the management API')
      c.drop()
    },
  }
}
