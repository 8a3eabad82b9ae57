// Accepts STOMP connections (TCP, TLS beside the AMQPS listener, and WebSocket as RabbitMQ's Web STOMP
// plugin serves them) and closes them all at shutdown.
import type { AddressInfo } from 'node:net'
import type { TlsOptions } from 'node:tls'
import { ProtocolListeners, type Transport } from '../shared/index.js'
import { StompConnection } from './connection.js'
import type { StompContext } from './context.js'
import { watchStompClients } from './metrics.js'

/**
 * STOMP connections get ids far above the AMQP server's (from 1) and the MQTT server's (from 2^30), so
 * that the core's per-connection checks (exclusive queues) never mistake one for another.
 */
const FIRST_CONNECTION_ID = 2 ** 31

export class StompServer {
  readonly connections = new Set<StompConnection>()
  private readonly listeners: ProtocolListeners
  private nextId = FIRST_CONNECTION_ID

  constructor(readonly ctx: StompContext) {
    this.listeners = new ProtocolListeners({
      protocol: 'STOMP',
      logger: ctx.logger,
      accept: (t) => this.accept(t),
      webSocket: {
        pickProtocol: pickStompProtocol,
        binary: false,
        takesText: true,
        maxMessageSize: ctx.broker.limits.maxMessageSize,
      },
    })
    if (!ctx.counters) return
    watchStompClients(ctx.counters, this.connections)
    ctx.broker.protocolCounters.push(ctx.counters)
  }

  listen(port: number, host: string | undefined): Promise<AddressInfo> {
    return this.listeners.tcp(port, host)
  }

  /** STOMP over TLS (RabbitMQ's stomp.listeners.ssl.1, port 61614 in its examples). */
  listenTls(port: number, host: string | undefined, options: TlsOptions): Promise<AddressInfo> {
    return this.listeners.tls(port, host, options)
  }

  /** STOMP over WebSocket (RabbitMQ's Web STOMP: port 15674, path /ws, text frames); wss:// with `tls`. */
  listenWebSocket(port: number, host: string | undefined, tls?: TlsOptions): Promise<AddressInfo> {
    return this.listeners.webSocket(port, host, tls)
  }

  accept(socket: Transport): StompConnection {
    const conn = new StompConnection(socket, this.ctx, this.nextId++, (c) => this.connections.delete(c))
    this.connections.add(conn)
    return conn
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    const closed = this.listeners.close()
    for (const c of [...this.connections]) c.forceClose()
    await closed
  }
}

/** The newest STOMP version the client offered as a subprotocol (v12.stomp, ...); none is taken too. */
function pickStompProtocol(offered: ReadonlySet<string>): string | undefined {
  return ['v12.stomp', 'v11.stomp', 'v10.stomp'].find((p) => offered.has(p))
}
