// One MQTT client's session mapped onto the core, as RabbitMQ's MQTT plugin maps it: publishes go to
// amq.topic (the routing key is the topic with `/` and `.` swapped); each client has up to two queues,
// mqtt-subscription-<client id>qos0 (transient, auto-delete, consumed without acks) and ...qos1 (durable;
// auto-delete for a session that ends with its connection, kept with an x-expires of the session's expiry
// otherwise), and a subscription is a binding of one of them to amq.topic (MQTT 5: its options in the
// binding's arguments, see subscriptions.ts; a shared subscription is a queue of its own, see
// shared-subscriptions.ts). Every check, count and trace is the core Session's, as for an AMQP channel.
import {
  Message,
  type MessageStats,
  type ProtocolCounters,
  type PublishResult,
  type Queue,
  type QueueDeclare,
  type QueueEntry,
  Session,
  type VHost,
} from '../core/index.js'
import { type FieldTable, type Logger } from '../shared/index.js'
import type { MqttContext } from './context.js'
import { type ConsumerHost, MqttConsumer, type Unacked } from './consumer.js'
import type { OutgoingPublish } from './encoder.js'
import { toAmqpProperties, toMqttProperties } from './message-properties.js'
import type { QoS } from './packets.js'
import type { Properties } from './properties.js'
import { SessionSubscriptions } from './session-subscriptions.js'
import { toAmqp } from './topics.js'

/** Packet ids in use at most (of 65535), leaving room for the queues' deliveries. */
const MAX_INFLIGHT = 65_000

/** What the session needs from its connection. */
export interface SessionWriter {
  canWrite(): boolean
  /** Writes a PUBLISH; false when it is larger than the client takes (MQTT 5 Maximum Packet Size). */
  writePublish(p: OutgoingPublish, wait: Promise<void> | undefined): boolean
}

export interface ClientSessionOptions {
  readonly vhost: VHost
  readonly user: string
  readonly clientId: string
  /** Clean session (3.1.1) or clean start (5): an earlier session of this client id is dropped. */
  readonly cleanStart: boolean
  /** How long the session outlives its connection, ms: 0 ends it with the connection; undefined never. */
  readonly expiry: number | undefined
  readonly connectionId: number
  readonly connectionName: string
  /** MQTT 5: deliveries carry properties. */
  readonly v5: boolean
  readonly prefetch: number
  readonly writer: SessionWriter
  readonly logger: Logger
  /** The Prometheus counters of the client's protocol version. */
  readonly counters?: ProtocolCounters | undefined
}

/**
 * The session is also what the management API lists as the connection's one channel (its message
 * counters and rates, its consumers), as RabbitMQ lists an MQTT connection's channel.
 */
export class ClientSession implements ConsumerHost {
  readonly id = 1
  readonly session: Session
  /** The subscription queues' consumers, by tag (listings). */
  readonly consumersByTag = new Map<string, MqttConsumer>()
  readonly globalPrefetch = 0
  readonly confirmMode = false
  readonly txMode = false
  readonly unconfirmedCount = 0
  readonly uncommittedCount = 0
  readonly uncommittedAckCount = 0
  readonly flowActive = true
  readonly vhost: VHost
  readonly clientId: string
  readonly connectionId: number
  readonly prefetch: number
  private readonly byQos: [MqttConsumer | undefined, MqttConsumer | undefined] = [undefined, undefined]
  /** Deliveries sent with a packet id, until their PUBACK (undefined: a retained message, nothing to settle). */
  private readonly inflight = new Map<number, Unacked | undefined>()
  private nextPacketId = 1
  /** The session's subscriptions, their MQTT 5 options, and its shared subscriptions. */
  readonly subscriptions: SessionSubscriptions
  private readonly exchange: string
  private readonly args: FieldTable

  constructor(
    private readonly ctx: MqttContext,
    private readonly o: ClientSessionOptions,
  ) {
    this.vhost = o.vhost
    this.clientId = o.clientId
    this.connectionId = o.connectionId
    this.prefetch = o.prefetch
    this.exchange = ctx.settings.exchange
    this.args = o.expiry ? { 'x-expires': o.expiry } : {}
    this.session = new Session({
      vhost: o.vhost,
      user: o.user,
      authz: ctx.authz,
      connection: o.connectionName,
      channel: 1,
      node: ctx.nodeName,
      maxMessageSize: ctx.broker.limits.maxMessageSize,
      counters: o.counters,
    })
    this.subscriptions = new SessionSubscriptions(this, this.exchange, o.v5, o.logger)
  }

  /** Message counters of this session (the channel's message_stats). */
  get stats(): MessageStats {
    return this.session.stats
  }

  get prefetchCount(): number {
    return this.prefetch
  }

  /** QoS 1 deliveries waiting for their PUBACK. */
  get unacked(): { readonly count: number } {
    let count = 0
    for (const u of this.inflight.values()) if (u) count++
    return { count }
  }

  get consumers(): ReadonlyMap<string, MqttConsumer> {
    return this.consumersByTag
  }

  /** How long the session outlives its connection, ms (undefined: never). */
  get expiry(): number | undefined {
    return this.o.expiry
  }

  queueName(qos: 0 | 1): string {
    return `mqtt-subscription-${this.clientId}qos${qos}`
  }

  /**
   * RabbitMQ's start of a session: an earlier session is present if its QoS 1 queue is (resume() then
   * consumes it, once the CONNACK is out); a clean start deletes it. Returns the session-present flag.
   */
  start(): boolean {
    const name = this.queueName(1)
    const queue = this.vhost.queues.get(name)
    if (!queue) return false
    if (!this.o.cleanStart) {
      this.subscriptions.table.restore(queue, this.exchange)
      return true
    }
    this.session.deleteQueue(name, this.connectionId, false, false)
    return false
  }

  /** A present session consumes its QoS 1 queue again. */
  resume(): void {
    this.consume(1)
  }

  // ---- publishing ----

  /** A PUBLISH (QoS 2 is taken as QoS 1, as RabbitMQ does); retained when asked. */
  publish(
    topic: string,
    qos: QoS,
    dup: boolean,
    retain: boolean,
    payload: Buffer,
    props?: Properties,
  ): PublishResult {
    const q = qos === 0 ? 0 : 1
    const key = toAmqp(topic)
    const ex = this.session.exchangeForPublish(this.exchange, key)
    this.session.checkSize(payload.length)
    const properties = toAmqpProperties(q, dup, props)
    this.session.validate(properties)
    const msg = new Message(ex.name, key, properties, payload)
    this.subscriptions.table.own?.add(msg)
    const result = this.session.publish(ex, msg, false, q === 1)
    if (retain) this.ctx.retained.retain(this.vhost.name, { topic, qos: q, payload })
    return result
  }

  // ---- subscribing ----

  /**
   * Declares the subscription queue of `qos` unless it exists (an earlier session's queue is taken as it
   * is, whatever expiry it was made with), and consumes it, unless this session does already.
   */
  consume(qos: 0 | 1): Queue {
    const have = this.byQos[qos]
    if (have && !have.queue.deleted) return have.queue
    const name = this.queueName(qos)
    if (this.vhost.queues.has(name)) this.session.permit('configure', 'queue', name)
    else this.session.declareQueue(this.declaration(qos), this.connectionId)
    const queue = this.session.queueToConsume(name, this.connectionId)
    const c = new MqttConsumer(this, queue, qos, `mqtt-${qos}`)
    queue.checkConsumable(c)
    this.byQos[qos] = c
    this.consumersByTag.set(c.tag, c)
    queue.addConsumer(c)
    return queue
  }

  private declaration(qos: 0 | 1): QueueDeclare {
    const name = this.queueName(qos)
    const base = { name, passive: false, exclusiveOwner: undefined }
    if (qos === 0) return { ...base, durable: false, autoDelete: true, args: {} }
    return { ...base, durable: true, autoDelete: this.o.expiry === 0, args: this.args }
  }

  // ---- delivering ----

  /** MQTT 5's No Local: a message this session published that only No Local subscriptions match. */
  isOwnOnly(msg: Message, topic: string, queue: Queue): boolean {
    return this.subscriptions.table.isOwnOnly(msg, topic, queue.name)
  }

  canWrite(): boolean {
    return this.o.writer.canWrite()
  }

  send(
    p: Omit<OutgoingPublish, 'packetId'>,
    unacked: Unacked | undefined,
    wait: Promise<void> | undefined,
  ): void {
    // Packet ids run out only when a subscription brings tens of thousands of retained messages at once:
    // those beyond go at QoS 0 (queue deliveries are bounded by the prefetch).
    if (p.qos > 0 && !unacked && this.inflight.size >= MAX_INFLIGHT) p = { ...p, qos: 0 }
    const packetId = p.qos > 0 ? this.allocatePacketId(unacked) : undefined
    if (this.o.writer.writePublish({ ...p, packetId }, wait)) return
    // Too large for the client: dropped, as MQTT 5 asks (§3.1.2.11.4), and settled.
    this.o.logger.debug({ topic: p.topic }, 'MQTT delivery larger than the client takes, dropped')
    if (packetId !== undefined) this.puback(packetId)
  }

  /**
   * The retained messages a new subscription's filter matches, sent straight to the client (not through
   * a queue) with the retain flag, at the lower of the message's and the subscription's QoS.
   */
  sendRetained(filter: string, granted: 0 | 1): void {
    const id = this.subscriptions.table.idOf(filter)
    const properties = this.o.v5 ? (id === undefined ? {} : { subscriptionIds: [id] }) : undefined
    for (const m of this.ctx.retained.matching(this.vhost.name, filter)) {
      const qos = Math.min(m.qos, granted) as 0 | 1
      this.send(
        { topic: m.topic, qos, dup: false, retain: true, payload: m.payload, properties },
        undefined,
        undefined,
      )
    }
  }

  /**
   * MQTT 5 deliveries carry the message's properties, what is left of its lifetime (§3.3.2.3.3), and the
   * identifiers of the subscriptions that brought it.
   */
  propertiesOf(entry: QueueEntry, topic: string, queue: Queue): Properties | undefined {
    if (!this.o.v5) return undefined
    const props = toMqttProperties(entry.message)
    if (Number.isFinite(entry.expiresAt)) {
      const left = Math.ceil((entry.expiresAt - this.ctx.clock.now()) / 1000)
      props.messageExpiry = Math.max(left, 1)
    }
    const ids = this.subscriptions.table.idsFor(topic, queue.name)
    if (ids) props.subscriptionIds = ids
    return props
  }

  delivered(queue: Queue, entry: QueueEntry, noAck: boolean): void {
    this.session.delivered(queue, entry, noAck, false)
  }

  acked(n: number): void {
    this.session.acked(n)
  }

  cancelled(c: MqttConsumer): void {
    if (this.byQos[c.qos] === c) this.byQos[c.qos] = undefined
    if (this.consumersByTag.get(c.tag) === c) this.consumersByTag.delete(c.tag)
    this.subscriptions.shared.cancelled(c)
  }

  /** The client's PUBACK: the delivery is settled, and its queue may send the next one. */
  puback(packetId: number): void {
    const u = this.inflight.get(packetId)
    if (!this.inflight.delete(packetId) || !u) return
    u.consumer.unacked--
    u.queue.settle(u.entry)
    this.session.acked(1)
    u.queue.dispatch()
  }

  /** The socket drained: the subscription queues may deliver again. */
  drained(): void {
    for (const c of this.byQos) c?.queue.dispatch()
    this.subscriptions.shared.drained()
  }

  private allocatePacketId(unacked: Unacked | undefined): number {
    let id = this.nextPacketId
    while (this.inflight.has(id)) id = id === 65535 ? 1 : id + 1
    this.nextPacketId = id === 65535 ? 1 : id + 1
    this.inflight.set(id, unacked)
    return id
  }

  // ---- ending ----

  /**
   * The connection is gone: consumers are cancelled and unacknowledged deliveries requeued; a session
   * that ends with its connection (expiry 0) takes its QoS 1 queue along, even one an earlier session made.
   */
  end(): void {
    for (const c of this.byQos) if (c && !c.queue.deleted) c.queue.removeConsumer(c)
    this.byQos[0] = this.byQos[1] = undefined
    this.subscriptions.shared.end()
    this.consumersByTag.clear()
    const byQueue = new Map<Queue, QueueEntry[]>()
    for (const u of this.inflight.values()) {
      if (!u) continue
      const list = byQueue.get(u.queue) ?? []
      list.push(u.entry)
      byQueue.set(u.queue, list)
    }
    this.inflight.clear()
    for (const [queue, entries] of byQueue) if (!queue.deleted) queue.requeue(entries)
    const q1 = this.queueName(1)
    if (this.o.expiry === 0 && this.vhost.queues.has(q1)) {
      try {
        this.session.deleteQueue(q1, this.connectionId, false, false)
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, `could not delete the session queue ${q1}`)
      }
    }
  }
}
