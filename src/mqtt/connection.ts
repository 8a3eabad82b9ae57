// One MQTT connection: packets decoded from the socket and handled one at a time (a reply that waits for
// the disk pauses reading, so replies keep their order), the CONNECT login, the keepalive, the last will,
// and the end of the connection. A broken packet closes only this connection (MQTT 3.1.1 §4.8).
import type { PublishResult } from '../core/index.js'
import {
  BrokerError,
  displayAddress,
  type Logger,
  protocolOver,
  ReadTurns,
  SocketOutput,
  type Transport,
} from '../shared/index.js'
import type { ClientSession } from './client-session.js'
import { connect } from './connect.js'
import type { MqttContext } from './context.js'
import { PacketDecoder } from './decoder.js'
import {
  encodeConnack,
  encodeDisconnect,
  encodePublish,
  encodeSuback,
  encodeUnsuback,
  type OutgoingPublish,
  PINGRESP,
} from './encoder.js'
import { Keepalive } from './keepalive.js'
import { PublishFlow } from './publish-flow.js'
import {
  type ClientPacket,
  type ConnectPacket,
  MalformedPacketError,
  PACKET,
  type PublishPacket,
  type SubscribePacket,
  type UnsubscribePacket,
  type Will,
} from './packets.js'
import { connackReason, errorReason, REASON } from './reason-codes.js'
import { subscribeAll, unsubscribeAll } from './subscribe.js'
import { aliasedTopic, type InboundAliases, type OutboundAliases } from './topic-aliases.js'
import { sendLastWill, type WillDelayer } from './will.js'

/** Who holds which client id: a second connection with the same id takes over (closes the first). */
export interface ClientRegistry extends WillDelayer {
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
  /** The session, listed as the connection's one channel (as RabbitMQ lists MQTT connections). */
  readonly channels = new Map<number, ClientSession>()
  clientProperties: Record<string, string> = {}
  readonly logger: Logger
  private readonly decoder: PacketDecoder
  private readonly output: SocketOutput
  private readonly turns: ReadTurns
  state: 'connecting' | 'open' | 'closed' = 'connecting'
  private session: ClientSession | undefined
  /** The client id this connection registered (set before its session exists). */
  private registeredId: string | undefined
  /** MQTT 5: properties, reason codes, and a DISCONNECT from the server when it closes the connection. */
  private v5 = false
  /** The largest packet the client takes (MQTT 5 Maximum Packet Size). */
  private maxOutgoing = Infinity
  /** MQTT 5 topic aliases: those the client set, and those Warren gives the topics it sends. */
  private inAliases: InboundAliases | undefined
  private outAliases: OutboundAliases | undefined
  private will: Will | undefined
  private untrack: (() => void) | undefined
  private readonly inbox: ClientPacket[] = []
  /** A packet's handling is waiting (for the disk, for a congested queue): later packets wait too. */
  private busy = false
  private readonly keepalive: Keepalive
  /** PUBACKs in order once durable; credit flow and resource alarms. */
  private readonly publishes: PublishFlow

  constructor(
    readonly socket: Transport,
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
    this.output = new SocketOutput(socket, { writable: () => this.session?.drained() })
    this.turns = new ReadTurns(socket, () => this.busy)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.logger.debug({ err: err.message }, 'MQTT socket error'))
    socket.on('close', () => this.close('socket closed', true))
    this.keepalive = new Keepalive(ctx.clock, (why) =>
      why.startsWith('keepalive') ? this.close(why, true, REASON.KEEP_ALIVE_TIMEOUT) : this.close(why, false),
    )
    this.keepalive.deadline(ctx.settings.connectTimeout * 1000, 'no CONNECT in time')
    this.publishes = new PublishFlow(ctx.broker, this.output, this.keepalive, (err) => this.fail(err))
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
    this.turns.read(chunk.length)
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
        return this.onUnsubscribe(session, p)
      case PACKET.PINGREQ:
        return this.output.write(PINGRESP)
      case PACKET.DISCONNECT:
        // MQTT 5's "disconnect with will message" (4) still wants the will published.
        if (p.reasonCode !== REASON.DISCONNECT_WITH_WILL) this.will = undefined
        return this.close('client disconnected', true)
      default:
        // PUBREC, PUBREL, PUBCOMP: the broker never sends QoS 2, so there is nothing to complete.
        return
    }
  }

  // ---- CONNECT ----

  private onConnect(p: ConnectPacket): void | Promise<void> {
    this.v5 = p.protocolLevel === 5
    this.maxOutgoing = p.properties?.maximumPacketSize ?? Infinity
    const writer = {
      canWrite: () => this.output.canWrite(),
      writePublish: (m: OutgoingPublish, wait: Promise<void> | undefined) => this.writePublish(m, wait),
    }
    const result = connect(this.ctx, p, {
      id: this.id,
      name: this.name,
      remoteAddress: this.socket.remoteAddress ?? '',
      logger: this.logger,
      writer,
      register: (clientId) => {
        this.registeredId = clientId
        this.registry.register(clientId, this)
      },
      track: (vhost, user) => this.ctx.broker.tracking.connectionOpened(vhost, user),
    })
    if (!result.ok) {
      this.untrack = result.untrack
      return this.refuse(result.code, result.reason)
    }
    const session = (this.session = result.session)
    this.inAliases = result.aliases?.inbound
    this.outAliases = result.aliases?.outbound
    this.channels.set(session.id, session)
    this.untrack = result.untrack
    this.state = 'open'
    this.will = p.will
    this.keepalive.start(p.keepalive)
    this.heartbeatSeconds = p.keepalive
    this.protocol = protocolOver(
      this.socket,
      p.protocolLevel === 5 ? 'MQTT 5.0' : p.protocolLevel === 4 ? 'MQTT 3.1.1' : 'MQTT 3.1',
    )
    this.clientProperties = { client_id: session.clientId }
    this.logger.info(
      {
        user: session.session.user,
        vhost: session.vhost.name,
        clientId: session.clientId,
        clean: p.cleanSession,
      },
      'MQTT connection opened',
    )
    return this.afterDurable(() => {
      this.output.write(encodeConnack(result.present, 0, result.connack))
      if (result.present) session.resume()
    })
  }

  /** A refused CONNECT: its CONNACK (MQTT 5's reason code for a 5 client), then the end. */
  private refuse(code: number, reason: string): void {
    this.logger.warn({ code }, `MQTT connection refused: ${reason}`)
    this.output.write(this.v5 ? encodeConnack(false, connackReason(code), {}) : encodeConnack(false, code))
    this.close(reason, false)
  }

  // ---- PUBLISH, SUBSCRIBE, UNSUBSCRIBE ----

  private onPublish(session: ClientSession, p: PublishPacket): void | Promise<void> {
    // Warren's CONNACK told an MQTT 5 client its Maximum QoS is 1.
    if (this.v5 && p.qos === 2) return this.close('QoS 2 publish', true, REASON.QOS_NOT_SUPPORTED)
    const alias = p.properties?.topicAlias
    const topic = alias === undefined ? p.topic : aliasedTopic(this.inAliases, p.topic, alias)
    let result: PublishResult
    try {
      result = session.publish(topic, p.qos, p.dup, p.retain, p.payload, p.properties)
    } catch (err) {
      // MQTT 5 can refuse one QoS 1 publish in its PUBACK; otherwise the connection closes.
      if (!this.v5 || p.qos === 0 || !(err instanceof BrokerError)) throw err
      this.logger.warn(`MQTT publish refused: ${err.message}`)
      return this.publishes.puback(p.packetId as number, [], errorReason(err))
    }
    const unrouted = this.v5 && result.queues === 0 ? REASON.NO_MATCHING_SUBSCRIBERS : 0
    if (p.qos > 0) this.publishes.puback(p.packetId as number, result.tickets, unrouted)
    return this.publishes.holdAfter(result)
  }

  private onSubscribe(session: ClientSession, p: SubscribePacket): Promise<void> | void {
    const { codes, sendRetained } = subscribeAll(session, p, this.v5)
    return this.afterDurable(() => {
      this.output.write(encodeSuback(p.packetId, codes, this.v5))
      sendRetained()
    })
  }

  private onUnsubscribe(session: ClientSession, p: UnsubscribePacket): void | Promise<void> {
    const codes = unsubscribeAll(session, p.filters, this.v5)
    return this.afterDurable(() => this.output.write(encodeUnsuback(p.packetId, codes)))
  }

  /** False (nothing written) when the packet is larger than an MQTT 5 client takes. */
  private writePublish(m: OutgoingPublish, wait: Promise<void> | undefined): boolean {
    const packet = this.outAliases ? this.outAliases.encode(m, this.maxOutgoing) : encodePublish(m)
    if (packet.length > this.maxOutgoing) return false
    if (wait) this.output.holdUntil(wait)
    this.output.write(packet)
    return true
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
    this.close(err instanceof Error ? err.message : String(err), true, errorReason(err))
  }

  /** Another connection took over this client id: closed, without its will (as RabbitMQ 3.10). */
  takenOver(): void {
    this.logger.warn({ clientId: this.clientId }, 'MQTT client id taken over by another connection')
    this.close('client id taken over', false, REASON.SESSION_TAKEN_OVER)
  }

  /** The broker is stopping, or an operator closed the connection (management API). */
  forceClose(reason?: string): void {
    if (reason === undefined) this.close('broker shutdown', false, REASON.SERVER_SHUTTING_DOWN)
    else this.close(reason, false, REASON.ADMINISTRATIVE_ACTION)
  }

  /**
   * Ends the connection; a will is published when asked (the client did not say DISCONNECT). An MQTT 5
   * client is told why (`v5Reason`) in a DISCONNECT.
   */
  close(reason: string, publishWill: boolean, v5Reason?: number): void {
    if (this.state === 'closed') return
    const wasOpen = this.state === 'open'
    if (wasOpen && this.v5 && v5Reason !== undefined) this.output.write(encodeDisconnect(v5Reason))
    this.state = 'closed'
    this.keepalive.stop()
    this.publishes.close()
    if (publishWill && this.will && this.session)
      sendLastWill(this.will, this.session, this.registry, this.logger)
    this.will = undefined
    this.session?.end()
    this.channels.clear()
    if (this.registeredId !== undefined) this.registry.unregister(this.registeredId, this)
    this.untrack?.()
    this.output.close()
    this.socket.end()
    this.ctx.clock.setTimeout(() => this.socket.destroy(), 1000).unref?.()
    if (wasOpen) this.logger.info({ reason }, 'MQTT connection closed')
    this.onClosed(this)
  }
}
