// One MQTT connection: packets decoded from the socket and handled one at a time (a reply that waits for
// the disk pauses reading, so replies keep their order), the CONNECT login, the keepalive, the last will,
// and the end of the connection. A broken packet closes only this connection (MQTT 3.1.1 §4.8).
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import type { DurabilityTicket } from '../core/index.js'
import { BrokerError, displayAddress, type Logger } from '../shared/index.js'
import { ClientSession } from './client-session.js'
import type { MqttContext } from './context.js'
import { PacketDecoder } from './decoder.js'
import { encodeConnack, encodeIdOnly, encodePublish, encodeSuback, PINGRESP } from './encoder.js'
import { Keepalive } from './keepalive.js'
import { login } from './login.js'
import { Output } from './output.js'
import {
  type ClientPacket,
  CONNACK,
  type ConnectPacket,
  MalformedPacketError,
  PACKET,
  type PublishPacket,
  SUBACK_FAILURE,
  type SubscribePacket,
  type Will,
} from './packets.js'

/** Who holds which client id: a second connection with the same id takes over (closes the first). */
export interface ClientRegistry {
  register(clientId: string, conn: MqttConnection): void
  unregister(clientId: string, conn: MqttConnection): void
}

/** The largest packet accepted beyond the broker's max message size (topic and headers). */
const PACKET_OVERHEAD = 64 * 1024

export class MqttConnection {
  readonly name: string
  /** The protocol as the management API shows it (RabbitMQ: "MQTT 3.1.1"). */
  protocol = 'MQTT'
  readonly connectedAt: number
  // What the management API's connection listing reads (the same fields an AMQP connection has).
  readonly frameMax = 0
  readonly channelMax = 0
  heartbeatSeconds = 0
  /** An MQTT session is no AMQP channel: none are listed. */
  readonly channels: ReadonlyMap<number, never> = new Map<number, never>()
  clientProperties: Record<string, string> = {}
  readonly logger: Logger
  private readonly decoder: PacketDecoder
  private readonly output: Output
  state: 'connecting' | 'open' | 'closed' = 'connecting'
  private session: ClientSession | undefined
  private will: Will | undefined
  private untrack: (() => void) | undefined
  private readonly inbox: ClientPacket[] = []
  /** A packet's handling is waiting (for the disk, for a congested queue): later packets wait too. */
  private busy = false
  private readonly keepalive: Keepalive
  /** Set while the connection is blocked by a resource alarm. */
  private stopWaitingForAlarms: (() => void) | undefined
  /** PUBACKs wait for the durability of their messages and go out in order. */
  private pubacks: Promise<void> | undefined

  constructor(
    readonly socket: Socket,
    private readonly ctx: MqttContext,
    private readonly registry: ClientRegistry,
    readonly id: number,
    private readonly onClosed: (c: MqttConnection) => void,
  ) {
    const [peer, local] = [displayAddress(socket.remoteAddress), displayAddress(socket.localAddress)]
    this.name = `${peer}:${socket.remotePort} -> ${local}:${socket.localPort}`
    this.connectedAt = ctx.clock.now()
    this.logger = ctx.logger.child({ connection: this.name, protocol: 'mqtt' })
    this.decoder = new PacketDecoder(ctx.broker.limits.maxMessageSize + PACKET_OVERHEAD)
    this.output = new Output(socket)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.logger.debug({ err: err.message }, 'MQTT socket error'))
    socket.on('close', () => this.close('socket closed', true))
    socket.on('drain', () => this.session?.drained())
    this.keepalive = new Keepalive(ctx.clock, (why) => this.close(why, why.startsWith('keepalive')))
    this.keepalive.deadline(ctx.settings.connectTimeout * 1000, 'no CONNECT in time')
  }

  get clientId(): string | undefined {
    return this.session?.clientId
  }

  get vhost(): { readonly name: string } | undefined {
    return this.session?.vhost
  }

  get user(): { readonly name: string } | undefined {
    return this.session && { name: this.session.session.user }
  }

  private onData(chunk: Buffer): void {
    this.keepalive.heard()
    let packets: ClientPacket[]
    try {
      packets = this.decoder.push(chunk)
    } catch (err) {
      return this.fail(err)
    }
    for (const p of packets) this.inbox.push(p)
    this.pump()
  }

  private pump(): void {
    while (!this.busy && this.state !== 'closed' && this.inbox.length > 0) {
      let waiting: Promise<void> | void
      try {
        waiting = this.handle(this.inbox.shift() as ClientPacket)
      } catch (err) {
        return this.fail(err)
      }
      if (waiting) this.wait(waiting)
    }
  }

  /** Stops reading until `p` settles, then goes on with the packets that came meanwhile. */
  private wait(p: Promise<void>): void {
    this.busy = true
    this.socket.pause()
    p.then(
      () => {
        this.busy = false
        if (this.state === 'closed') return
        this.socket.resume()
        this.pump()
      },
      (err: unknown) => this.fail(err),
    )
  }

  private handle(p: ClientPacket): void | Promise<void> {
    if (this.state === 'connecting') {
      if (p.type !== PACKET.CONNECT) throw new MalformedPacketError('the first packet must be CONNECT')
      return this.onConnect(p)
    }
    const session = this.session as ClientSession
    switch (p.type) {
      case PACKET.CONNECT:
        throw new MalformedPacketError('a second CONNECT')
      case PACKET.PUBLISH:
        return this.onPublish(session, p)
      case PACKET.PUBACK:
        return session.puback(p.packetId)
      case PACKET.SUBSCRIBE:
        return this.onSubscribe(session, p)
      case PACKET.UNSUBSCRIBE:
        for (const f of p.filters) session.unsubscribe(f)
        return this.afterDurable(() => this.output.write(encodeIdOnly(PACKET.UNSUBACK, p.packetId)))
      case PACKET.PINGREQ:
        return this.output.write(PINGRESP)
      case PACKET.DISCONNECT:
        this.will = undefined
        return this.close('client disconnected', false)
      default:
        // PUBREC, PUBREL, PUBCOMP: the broker never sends QoS 2, so there is nothing to complete.
        return
    }
  }

  // ---- CONNECT ----

  private onConnect(p: ConnectPacket): void | Promise<void> {
    const supported =
      (p.protocolName === 'MQTT' && p.protocolLevel === 4) ||
      (p.protocolName === 'MQIsdp' && p.protocolLevel === 3)
    if (!supported)
      return this.refuse(
        CONNACK.UNACCEPTABLE_PROTOCOL_VERSION,
        `unsupported protocol ${p.protocolName} level ${p.protocolLevel}`,
      )
    if (p.clientId === '' && !p.cleanSession)
      return this.refuse(CONNACK.IDENTIFIER_REJECTED, 'a persistent session needs a client id')
    const result = login(this.ctx, p, this.socket.remoteAddress ?? '')
    if (!result.ok) return this.refuse(result.code, result.reason)
    const clientId = p.clientId === '' ? generatedClientId() : p.clientId
    this.registry.register(clientId, this)
    const { vhost, user } = result
    this.untrack = this.ctx.broker.tracking.connectionOpened(vhost.name, user.name)
    const session = (this.session = new ClientSession(
      this.ctx,
      vhost,
      user.name,
      clientId,
      p.cleanSession,
      this.id,
      this.name,
      { canWrite: () => this.output.canWrite(), writePublish: (m, wait) => this.writePublish(m, wait) },
      this.logger,
    ))
    this.state = 'open'
    let present: boolean
    try {
      present = session.start()
    } catch (err) {
      if (!(err instanceof BrokerError)) throw err
      return this.refuse(CONNACK.SERVER_UNAVAILABLE, `cannot start the session: ${err.message}`)
    }
    this.will = p.will
    this.keepalive.start(p.keepalive)
    this.heartbeatSeconds = p.keepalive
    this.protocol = p.protocolLevel === 4 ? 'MQTT 3.1.1' : 'MQTT 3.1'
    this.clientProperties = { client_id: clientId }
    this.logger.info(
      { user: user.name, vhost: vhost.name, clientId, clean: p.cleanSession },
      'MQTT connection opened',
    )
    return this.afterDurable(() => {
      this.output.write(encodeConnack(present, CONNACK.ACCEPTED))
      if (present) session.resume()
    })
  }

  private refuse(code: number, reason: string): void {
    this.logger.warn({ code }, `MQTT connection refused: ${reason}`)
    this.output.write(encodeConnack(false, code))
    this.close(reason, false)
  }

  // ---- PUBLISH and SUBSCRIBE ----

  private onPublish(session: ClientSession, p: PublishPacket): void | Promise<void> {
    const result = session.publish(p.topic, p.qos, p.dup, p.retain, p.payload)
    if (p.qos > 0) this.puback(p.packetId as number, result.tickets)
    const congested = result.congested
    // Credit flow: a queue whose consumers cannot keep up holds back its publishers.
    const drained = congested && new Promise<void>((resolve) => congested.whenDrained(resolve))
    // A resource alarm blocks a connection once it publishes, as an AMQP publisher is blocked.
    const alarmsClear = this.ctx.broker.alarms.size > 0 ? this.untilAlarmsClear() : undefined
    if (drained || alarmsClear) return Promise.all([drained, alarmsClear]).then(() => undefined)
  }

  private untilAlarmsClear(): Promise<void> {
    return new Promise((resolve) => {
      const stop = this.ctx.broker.onAlarmsChanged((alarms) => {
        if (alarms.size > 0) return
        this.stopWaitingForAlarms = undefined
        this.keepalive.paused = false
        stop()
        resolve()
      })
      this.stopWaitingForAlarms = stop
      // A blocked connection is not read: its client's silence says nothing (RabbitMQ pauses it too).
      this.keepalive.paused = true
    })
  }

  /** A PUBACK once the message is safe in every durable queue it reached, in the order of the publishes. */
  private puback(packetId: number, tickets: readonly DurabilityTicket[]): void {
    const send = (): void => this.output.write(encodeIdOnly(PACKET.PUBACK, packetId))
    if (tickets.length === 0 && !this.pubacks) return send()
    const chain: Promise<void> = Promise.all([this.pubacks, ...tickets.map((t) => t.flush())]).then(() => {
      if (this.pubacks === chain) this.pubacks = undefined
      if (this.state !== 'closed') send()
    })
    this.pubacks = chain
    chain.catch((err: unknown) => this.fail(err))
  }

  private onSubscribe(session: ClientSession, p: SubscribePacket): Promise<void> | void {
    const codes = p.subscriptions.map((s) => session.subscribe(s.filter, s.qos))
    return this.afterDurable(() => {
      this.output.write(encodeSuback(p.packetId, codes))
      // Retained messages follow the SUBACK, straight to the client, at the lower of the two QoS.
      p.subscriptions.forEach((s, i) => {
        const granted = codes[i] as number
        if (granted === SUBACK_FAILURE) return
        for (const m of this.ctx.retained.matching(session.vhost.name, s.filter))
          session.sendRetained(m.topic, Math.min(m.qos, granted) as 0 | 1, m.payload)
      })
    })
  }

  private writePublish(m: Parameters<typeof encodePublish>[0], wait: Promise<void> | undefined): void {
    if (wait) this.output.holdUntil(wait)
    this.output.write(encodePublish(m))
  }

  /** Runs `reply` once durable changes (a persistent session's queue and bindings) are on disk. */
  private afterDurable(reply: () => void): void | Promise<void> {
    const d = this.ctx.durability
    if (!d?.busy) return reply()
    return d.settled().then(reply)
  }

  // ---- ending ----

  private fail(err: unknown): void {
    if (this.state === 'closed') return
    if (err instanceof MalformedPacketError) this.logger.warn(`MQTT protocol error: ${err.message}`)
    else if (err instanceof BrokerError) this.logger.warn(`MQTT connection closed: ${err.toString()}`)
    else this.logger.error({ err }, 'MQTT connection failed')
    this.close(err instanceof Error ? err.message : String(err), true)
  }

  /** Another connection took over this client id: closed, without its will (as RabbitMQ 3.10). */
  takenOver(): void {
    this.logger.warn({ clientId: this.clientId }, 'MQTT client id taken over by another connection')
    this.close('client id taken over', false)
  }

  /** The broker is stopping, or an operator closed the connection (management API). */
  forceClose(reason = 'broker shutdown'): void {
    this.close(reason, false)
  }

  /** Ends the connection; a will is published when the client did not say DISCONNECT. */
  close(reason: string, publishWill: boolean): void {
    if (this.state === 'closed') return
    const wasOpen = this.state === 'open'
    this.state = 'closed'
    this.keepalive.stop()
    this.stopWaitingForAlarms?.()
    if (publishWill) this.publishWill()
    const session = this.session
    if (session) {
      session.end()
      this.registry.unregister(session.clientId, this)
    }
    this.untrack?.()
    this.output.close()
    this.socket.end()
    this.ctx.clock.setTimeout(() => this.socket.destroy(), 1000).unref?.()
    if (wasOpen) this.logger.info({ reason }, 'MQTT connection closed')
    this.onClosed(this)
  }

  private publishWill(): void {
    const w = this.will
    const session = this.session
    this.will = undefined
    if (!w || !session) return
    try {
      session.publish(w.topic, w.qos, false, w.retain, w.payload)
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not publish the last will')
    }
  }
}

/** A client id for a clean session that sent none (§3.1.3.1), as RabbitMQ makes one from a random id. */
function generatedClientId(): string {
  return randomBytes(16).toString('base64url')
}
