// Accepts MQTT connections (TCP, TLS beside the AMQPS listener, and WebSocket as RabbitMQ's Web MQTT
// plugin serves them), keeps the client-id registry that
// makes a second connection with an id take it over, and closes everything at shutdown.
import type { AddressInfo } from 'node:net'
import type { TlsOptions } from 'node:tls'
import { ProtocolListeners, type TimerHandle, type Transport } from '../shared/index.js'
import type { MqttContext } from './context.js'
import { type ClientRegistry, MqttConnection } from './connection.js'

/**
 * MQTT connections get ids far above the AMQP server's (which count from 1), so that the core's
 * per-connection checks (exclusive queues) never mistake one for the other.
 */
const FIRST_CONNECTION_ID = 2 ** 30

export class MqttServer implements ClientRegistry {
  readonly connections = new Set<MqttConnection>()
  private readonly clients = new Map<string, MqttConnection>()
  /** Wills waiting for their Will Delay Interval (MQTT 5), by client id. */
  private readonly delayedWills = new Map<string, TimerHandle>()
  private readonly listeners: ProtocolListeners
  private nextId = FIRST_CONNECTION_ID

  constructor(readonly ctx: MqttContext) {
    this.listeners = new ProtocolListeners({
      protocol: 'MQTT',
      logger: ctx.logger,
      accept: (t) => this.accept(t),
      webSocket: {
        pickProtocol: pickMqttProtocol,
        binary: true,
        takesText: false,
        maxMessageSize: ctx.broker.limits.maxMessageSize,
      },
    })
    if (!ctx.counters) return
    ctx.counters.watch(this.connections)
    ctx.broker.protocolCounters.push(...ctx.counters.all)
  }

  listen(port: number, host: string | undefined): Promise<AddressInfo> {
    return this.listeners.tcp(port, host)
  }

  /** MQTT over TLS (RabbitMQ's port 8883). */
  listenTls(port: number, host: string | undefined, options: TlsOptions): Promise<AddressInfo> {
    return this.listeners.tls(port, host, options)
  }

  /** MQTT over WebSocket (RabbitMQ's Web MQTT: port 15675, path /ws, binary frames); wss:// with `tls`. */
  listenWebSocket(port: number, host: string | undefined, tls?: TlsOptions): Promise<AddressInfo> {
    return this.listeners.webSocket(port, host, tls)
  }

  accept(socket: Transport): MqttConnection {
    const conn = new MqttConnection(socket, this.ctx, this, this.nextId++, (c) => this.connections.delete(c))
    this.connections.add(conn)
    return conn
  }

  register(clientId: string, conn: MqttConnection): void {
    this.cancelWill(clientId)
    const earlier = this.clients.get(clientId)
    this.clients.set(clientId, conn)
    if (earlier && earlier !== conn) earlier.takenOver()
  }

  unregister(clientId: string, conn: MqttConnection): void {
    if (this.clients.get(clientId) === conn) this.clients.delete(clientId)
  }

  delayWill(clientId: string, ms: number, publish: () => void): void {
    this.cancelWill(clientId)
    const timer = this.ctx.clock.setTimeout(() => {
      this.delayedWills.delete(clientId)
      publish()
    }, ms)
    timer.unref?.()
    this.delayedWills.set(clientId, timer)
  }

  private cancelWill(clientId: string): void {
    const timer = this.delayedWills.get(clientId)
    if (timer === undefined) return
    this.ctx.clock.clearTimeout(timer)
    this.delayedWills.delete(clientId)
  }

  /** Stops accepting and closes every connection (no wills: the broker, not the client, went away). */
  async close(): Promise<void> {
    const closed = this.listeners.close()
    for (const c of [...this.connections]) c.forceClose()
    // Delayed wills are dropped: the broker, not their clients, is going away.
    for (const id of [...this.delayedWills.keys()]) this.cancelWill(id)
    this.ctx.retained.flush()
    await closed
  }
}

/**
 * The subprotocol a Web MQTT client is answered with: mqtt (MQTT 3.1.1 and 5) or mqttv3.1; a client that
 * offers neither gets the one it offered first, and one that offers none is taken too (RabbitMQ 3.10).
 */
function pickMqttProtocol(offered: ReadonlySet<string>): string | undefined {
  if (offered.has('mqtt')) return 'mqtt'
  if (offered.has('mqttv3.1')) return 'mqttv3.1'
  return offered.values().next().value
}
