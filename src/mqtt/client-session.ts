// One MQTT client's session mapped onto the core, as RabbitMQ's MQTT plugin maps it: publishes go to
// amq.topic (the routing key is the topic with `/` and `.` swapped); each client has up to two queues,
// mqtt-subscription-<client id>qos0 (transient, auto-delete, consumed without acks) and ...qos1 (durable;
// auto-delete for a clean session, kept with an x-expires of mqtt.subscription_ttl for a persistent one),
// and a subscription is a binding of one of them to amq.topic. Every check, count and trace is the core
// Session's, as for an AMQP channel.
import { BrokerError, type FieldTable, type Logger, TypedValue } from '../shared/index.js'
import {
  Message,
  type PublishResult,
  type Queue,
  type QueueDeclare,
  type QueueEntry,
  Session,
  type VHost,
} from '../core/index.js'
import type { MqttContext } from './context.js'
import { type ConsumerHost, MqttConsumer, type Unacked } from './consumer.js'
import type { OutgoingPublish } from './encoder.js'
import { type QoS, SUBACK_FAILURE } from './packets.js'
import { toAmqp, validFilter } from './topics.js'

/** What the session needs from its connection. */
export interface SessionWriter {
  canWrite(): boolean
  writePublish(p: OutgoingPublish, wait: Promise<void> | undefined): void
}

export class ClientSession implements ConsumerHost {
  readonly session: Session
  readonly prefetch: number
  private readonly consumers: [MqttConsumer | undefined, MqttConsumer | undefined] = [undefined, undefined]
  /** Deliveries sent with a packet id, until their PUBACK (undefined: a retained message, nothing to settle). */
  private readonly inflight = new Map<number, Unacked | undefined>()
  private nextPacketId = 1
  private readonly exchange: string
  private readonly args: FieldTable = {}

  constructor(
    private readonly ctx: MqttContext,
    readonly vhost: VHost,
    user: string,
    readonly clientId: string,
    readonly cleanSession: boolean,
    readonly connectionId: number,
    connectionName: string,
    private readonly writer: SessionWriter,
    private readonly logger: Logger,
  ) {
    const s = ctx.settings
    this.prefetch = s.prefetch
    this.exchange = s.exchange
    if (!cleanSession && s.subscriptionTtl !== undefined) this.args = { 'x-expires': s.subscriptionTtl }
    this.session = new Session({
      vhost,
      user,
      authz: ctx.authz,
      connection: connectionName,
      channel: 1,
      node: ctx.nodeName,
      maxMessageSize: ctx.broker.limits.maxMessageSize,
    })
  }

  queueName(qos: 0 | 1): string {
    return `mqtt-subscription-${this.clientId}qos${qos}`
  }

  /**
   * RabbitMQ's start of a session: a persistent one is present if its QoS 1 queue is (resume() then
   * consumes it, once the CONNACK is out); a clean one deletes it. Returns the session-present flag.
   */
  start(): boolean {
    const name = this.queueName(1)
    if (!this.vhost.queues.has(name)) return false
    if (!this.cleanSession) return true
    this.session.deleteQueue(name, this.connectionId, false, false)
    return false
  }

  /** A present persistent session consumes its QoS 1 queue again. */
  resume(): void {
    this.consume(1)
  }

  // ---- publishing ----

  /** A PUBLISH (QoS 2 is taken as QoS 1, as RabbitMQ does); retained when asked. */
  publish(topic: string, qos: QoS, dup: boolean, retain: boolean, payload: Buffer): PublishResult {
    const q = qos === 0 ? 0 : 1
    const key = toAmqp(topic)
    const ex = this.session.exchangeForPublish(this.exchange, key)
    this.session.checkSize(payload.length)
    const headers = { 'x-mqtt-publish-qos': new TypedValue('b', q), 'x-mqtt-dup': dup }
    const msg = new Message(ex.name, key, { headers, deliveryMode: q === 1 ? 2 : 1 }, payload)
    const result = this.session.publish(ex, msg, false, q === 1)
    if (retain) this.ctx.retained.retain(this.vhost.name, { topic, qos: q, payload })
    return result
  }

  // ---- subscribing ----

  /** One SUBSCRIBE entry: the QoS granted (QoS 2 downgraded to 1), or 0x80 when refused. */
  subscribe(filter: string, qos: QoS): number {
    if (!validFilter(filter)) return SUBACK_FAILURE
    const granted = qos === 0 ? 0 : 1
    const key = toAmqp(filter)
    try {
      const queue = this.consume(granted)
      this.session.bindQueue(queue.name, this.exchange, key, {}, this.connectionId)
      // A subscription to the same filter replaces the earlier one (§3.8.4), whatever its QoS.
      const other = this.queueName(granted === 0 ? 1 : 0)
      if (this.vhost.queues.has(other))
        this.session.unbindQueue(other, this.exchange, key, {}, this.connectionId)
    } catch (err) {
      if (!(err instanceof BrokerError)) throw err
      this.logger.warn({ filter, err: err.message }, 'MQTT subscription refused')
      return SUBACK_FAILURE
    }
    return granted
  }

  unsubscribe(filter: string): void {
    const key = toAmqp(filter)
    for (const qos of [0, 1] as const) {
      const name = this.queueName(qos)
      if (this.vhost.queues.has(name))
        this.session.unbindQueue(name, this.exchange, key, {}, this.connectionId)
    }
  }

  /** Declares the subscription queue of `qos` and consumes it, unless this session does already. */
  private consume(qos: 0 | 1): Queue {
    const have = this.consumers[qos]
    if (have && !have.queue.deleted) return have.queue
    const name = this.queueName(qos)
    const d: QueueDeclare =
      qos === 0
        ? { name, passive: false, durable: false, autoDelete: true, exclusiveOwner: undefined, args: {} }
        : {
            name,
            passive: false,
            durable: true,
            autoDelete: this.cleanSession,
            exclusiveOwner: undefined,
            args: this.args,
          }
    this.session.declareQueue(d, this.connectionId)
    const queue = this.session.queueToConsume(name, this.connectionId)
    const c = new MqttConsumer(this, queue, qos, `mqtt-${qos}`)
    queue.checkConsumable(c)
    this.consumers[qos] = c
    queue.addConsumer(c)
    return queue
  }

  // ---- delivering ----

  canWrite(): boolean {
    return this.writer.canWrite()
  }

  send(
    p: Omit<OutgoingPublish, 'packetId'>,
    unacked: Unacked | undefined,
    wait: Promise<void> | undefined,
  ): void {
    const packetId = p.qos > 0 ? this.allocatePacketId(unacked) : undefined
    this.writer.writePublish({ ...p, packetId }, wait)
  }

  /** A retained message for a new subscription, sent straight to the client (not through a queue). */
  sendRetained(topic: string, qos: 0 | 1, payload: Buffer): void {
    this.send({ topic, qos, dup: false, retain: true, payload }, undefined, undefined)
  }

  delivered(queue: Queue, entry: QueueEntry, noAck: boolean): void {
    this.session.delivered(queue, entry, noAck, false)
  }

  cancelled(c: MqttConsumer): void {
    if (this.consumers[c.qos] === c) this.consumers[c.qos] = undefined
  }

  /** The client's PUBACK: the delivery is settled, and its queue may send the next one. */
  puback(packetId: number): void {
    const u = this.inflight.get(packetId)
    if (!this.inflight.delete(packetId) || !u) return
    u.consumer.unacked--
    u.queue.settle(u.entry)
    u.queue.dispatch()
  }

  /** The socket drained: the subscription queues may deliver again. */
  drained(): void {
    for (const c of this.consumers) c?.queue.dispatch()
  }

  private allocatePacketId(unacked: Unacked | undefined): number {
    let id = this.nextPacketId
    while (this.inflight.has(id)) id = id === 65535 ? 1 : id + 1
    this.nextPacketId = id === 65535 ? 1 : id + 1
    this.inflight.set(id, unacked)
    return id
  }

  // ---- ending ----

  /** The connection is gone: consumers are cancelled and unacknowledged deliveries requeued. */
  end(): void {
    for (const c of this.consumers) if (c && !c.queue.deleted) c.queue.removeConsumer(c)
    this.consumers[0] = this.consumers[1] = undefined
    const byQueue = new Map<Queue, QueueEntry[]>()
    for (const u of this.inflight.values()) {
      if (!u) continue
      const list = byQueue.get(u.queue) ?? []
      list.push(u.entry)
      byQueue.set(u.queue, list)
    }
    this.inflight.clear()
    for (const [queue, entries] of byQueue) if (!queue.deleted) queue.requeue(entries)
  }
}
