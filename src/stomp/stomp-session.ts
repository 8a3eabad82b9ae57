// One STOMP client's session mapped onto the core, as RabbitMQ's STOMP plugin maps it (destinations.ts):
// SEND publishes through the core Session (declaring a /queue/ destination first), SUBSCRIBE declares or
// finds the queue and consumes it; ACK, NACK and transactions are in settlement.ts. Every check, count and
// trace is the core Session's, as for an AMQP channel. The session is listed as its connection's one channel.
import { createHash } from 'node:crypto'
import {
  generateName,
  Message,
  type MessageStats,
  type PublishResult,
  type Queue,
  type QueueEntry,
  Session,
  type VHost,
} from '../core/index.js'
import type { Logger } from '../shared/index.js'
import type { StompContext } from './context.js'
import { type Destination, parseDestination, publishTarget } from './destinations.js'
import { type Frame, frameError, type Headers, header, StompError } from './frame.js'
import { toAmqpProperties } from './message-headers.js'
import { declarationKey, queueArguments, queueFlags, subscriptionFlags } from './queue-arguments.js'
import { type Delivery, Settlement } from './settlement.js'
import { type AckMode, Subscription, type SubscriptionHost } from './subscription.js'

export interface SessionOptions {
  readonly vhost: VHost
  readonly user: string
  /** The session header of CONNECTED, part of every message-id. */
  readonly sessionId: string
  readonly connectionId: number
  readonly connectionName: string
  readonly logger: Logger
  /** Writes a MESSAGE frame for a delivery (delivery.ts). */
  readonly send: (d: Delivery, wait: Promise<void> | undefined) => void
  readonly canWrite: () => boolean
  /** The subscription's queue was deleted: the client is told, as RabbitMQ tells it. */
  readonly serverCancelled: (subscriptionId: string) => void
}

const ACK_MODES = new Set<string>(['auto', 'client', 'client-individual'])

export class StompSession implements SubscriptionHost {
  readonly id = 1
  readonly session: Session
  readonly vhost: VHost
  readonly connectionId: number
  readonly subscriptions = new Map<string, Subscription>()
  readonly globalPrefetch = 0
  readonly confirmMode = false
  readonly unconfirmedCount = 0
  readonly flowActive = true
  private readonly settlement: Settlement
  private nextTag = 1
  /** The private reply queues of /temp-queue/<name> reply-to headers, by that name. */
  private readonly tempQueues = new Map<string, string>()
  /**
   * The /queue/ destinations this session's SENDs declared, with what the SEND said of the queue: a SEND
   * that says the same of a queue still there does not declare it again (RabbitMQ's STOMP plugin also
   * declares a destination once per connection).
   */
  private readonly sentTo = new Map<string, { readonly key: string; readonly queue: Queue }>()

  constructor(
    private readonly ctx: StompContext,
    private readonly o: SessionOptions,
  ) {
    this.vhost = o.vhost
    this.connectionId = o.connectionId
    this.session = new Session({
      vhost: o.vhost,
      user: o.user,
      authz: ctx.authz,
      connection: o.connectionName,
      channel: 1,
      node: ctx.nodeName,
      maxMessageSize: ctx.broker.limits.maxMessageSize,
      counters: ctx.counters,
    })
    this.settlement = new Settlement(this.session)
  }

  // ---- what the management API lists of the session (as a channel) ----

  get stats(): MessageStats {
    return this.session.stats
  }
  get consumers(): ReadonlyMap<string, Subscription> {
    return new Map([...this.subscriptions.values()].map((s) => [s.tag, s]))
  }
  get unacked(): { readonly count: number } {
    return { count: this.settlement.unackedCount }
  }
  get prefetchCount(): number {
    return 0
  }
  get txMode(): boolean {
    return this.settlement.txMode
  }
  get uncommittedCount(): number {
    return this.settlement.uncommittedCount
  }
  readonly uncommittedAckCount = 0

  // ---- SEND ----

  /**
   * A SEND: checked now (destination, permissions, properties), published now or at its transaction's
   * COMMIT. Returns the publish result when published now (a receipt waits for its durability).
   */
  send(f: Frame): PublishResult | undefined {
    // A message id is the broker's to give (RabbitMQ's plugin refuses it, and the connection goes on).
    if (f.headers.some(([k]) => k === 'message-id'))
      throw frameError('Invalid header', "'message-id' is not allowed on 'SEND'.\n")
    const dest = parseDestination(header(f, 'destination'), 'SEND')
    const { exchange, key } = publishTarget(dest)
    if (dest.kind === 'queue') this.declareForSend(dest.name, f.headers)
    const ex = this.session.exchangeForPublish(exchange, key)
    this.session.checkSize(f.body.length)
    const props = toAmqpProperties(f.headers)
    if (props.replyTo?.startsWith('/temp-queue/') === true) props.replyTo = this.replyQueue(props.replyTo)
    this.session.validate(props)
    const msg = new Message(ex.name, key, props, f.body, undefined, this.ctx.clock.now())
    const tx = this.settlement.transaction(f)
    // Counted as confirmed publishes: RabbitMQ's plugin puts its channel in confirm mode for receipts.
    if (tx) {
      tx.push({ commit: () => void this.session.publish(ex, msg, false, true) })
      return undefined
    }
    return this.session.publish(ex, msg, false, true)
  }

  private declareForSend(name: string, headers: Headers): void {
    const key = declarationKey(headers)
    const known = this.sentTo.get(name)
    if (known?.key === key && !known.queue.deleted && this.vhost.queues.get(name) === known.queue) return
    const queue = this.declareQueue(name, headers)
    // A session that sends to ever new queues does not keep them all.
    if (this.sentTo.size >= 1024) this.sentTo.clear()
    this.sentTo.set(name, { key, queue })
  }

  /** RabbitMQ's /queue/<name>: a durable queue, declared by the first SEND or SUBSCRIBE that names it. */
  private declareQueue(name: string, headers: Headers): Queue {
    const { durable, autoDelete, exclusive } = queueFlags(headers)
    const exclusiveOwner = exclusive ? this.connectionId : undefined
    const d = { name, passive: false, durable, exclusiveOwner, autoDelete, args: queueArguments(headers) }
    return this.session.declareQueue(d, this.connectionId).queue
  }

  /**
   * A reply-to of /temp-queue/<name>: the session's private reply queue for that name (made and
   * consumed on first use), written as /reply-queue/<queue> for the replier.
   */
  private replyQueue(replyTo: string): string {
    const tempName = replyTo.slice('/temp-queue/'.length)
    let queue = this.tempQueues.get(tempName)
    if (queue === undefined) {
      queue = generateName('amq.gen-')
      const d = { name: queue, passive: false, durable: false, exclusiveOwner: this.connectionId }
      this.session.declareQueue({ ...d, autoDelete: true, args: {}, serverNamed: true }, this.connectionId)
      this.consume(replyTo, this.session.queueToConsume(queue, this.connectionId), 'auto', 0, false)
      this.tempQueues.set(tempName, queue)
    }
    return `/reply-queue/${queue}`
  }

  // ---- SUBSCRIBE, UNSUBSCRIBE ----

  subscribe(f: Frame): void {
    const destValue = header(f, 'destination')
    const dest = parseDestination(destValue, 'SUBSCRIBE')
    // STOMP 1.0 allows a SUBSCRIBE without id: RabbitMQ then names it by its destination.
    const id = header(f, 'id') ?? (destValue as string)
    if (this.subscriptions.has(id))
      throw new StompError(
        'Duplicated subscription identifier',
        `A subscription identified by 'T_${id}' already exists.`,
      )
    const ack = header(f, 'ack') ?? 'auto'
    if (!ACK_MODES.has(ack))
      throw new StompError(
        'Bad ACK mode',
        `'${ack}' is not a valid ack mode (auto, client, client-individual)`,
      )
    const prefetch = Number(header(f, 'prefetch-count') ?? 0)
    if (!Number.isInteger(prefetch) || prefetch < 0)
      throw new StompError('Invalid header', `prefetch-count must be a number`)
    const queue = this.queueFor(dest, f, id)
    const durableTopic = isDurable(f.headers) && (dest.kind === 'topic' || dest.kind === 'exchange')
    this.consume(id, queue, ack as AckMode, prefetch, durableTopic)
  }

  /** The queue a subscription consumes, declared and bound as RabbitMQ does for its destination kind. */
  private queueFor(dest: Destination, f: Frame, id: string): Queue {
    const destValue = header(f, 'destination') as string
    switch (dest.kind) {
      case 'queue':
        this.declareQueue(dest.name, f.headers)
        return this.session.queueToConsume(dest.name, this.connectionId)
      case 'amq-queue':
        return this.session.queueToConsume(dest.name, this.connectionId)
      case 'topic':
      case 'exchange': {
        const { exchange, key } = publishTarget(dest)
        const { durable, autoDelete } = subscriptionFlags(f.headers)
        if (durable && header(f, 'id') === undefined)
          throw frameError('Missing Header', "Header 'id' is required for durable subscriptions")
        // RabbitMQ's x-queue-name names a subscription's queue; otherwise it is named for the subscription.
        const generated = durable ? durableQueueName(destValue, id) : generateName('stomp-subscription-')
        const name = header(f, 'x-queue-name') ?? generated
        const args = queueArguments(f.headers)
        const d = { name, passive: false, durable, exclusiveOwner: undefined, autoDelete, args }
        this.session.declareQueue(d, this.connectionId)
        this.session.bindQueue(name, exchange, key, {}, this.connectionId)
        return this.session.queueToConsume(name, this.connectionId)
      }
      default:
        throw frameError('Invalid destination', `'${destValue}' is not a valid destination for 'SUBSCRIBE'\n`)
    }
  }

  private consume(id: string, queue: Queue, ack: AckMode, prefetch: number, durable: boolean): void {
    const sub = new Subscription(this, id, queue, ack, prefetch, durable)
    queue.checkConsumable(sub)
    this.subscriptions.set(id, sub)
    queue.addConsumer(sub)
  }

  /** UNSUBSCRIBE; with durable:true (or persistent:true) a durable subscription's queue goes too. */
  unsubscribe(f: Frame): void {
    const id = header(f, 'id') ?? header(f, 'destination')
    const sub = id === undefined ? undefined : this.subscriptions.get(id)
    if (!sub)
      throw frameError(
        'No subscription found',
        `UNSUBSCRIBE must refer to an existing subscription.\nSubscription to "id='${id ?? ''}'" not found.\n`,
      )
    this.cancel(sub)
    if (sub.durable && isDurable(f.headers))
      this.session.deleteQueue(sub.queue.name, this.connectionId, false, false)
  }

  private cancel(sub: Subscription): void {
    this.subscriptions.delete(sub.id)
    const back = this.settlement.forget(sub)
    if (!sub.queue.deleted) {
      sub.queue.removeConsumer(sub)
      if (back.length > 0) sub.queue.requeue(back)
    }
  }

  // ---- delivering ----

  canWrite(): boolean {
    return this.o.canWrite()
  }

  deliver(sub: Subscription, queue: Queue, entry: QueueEntry, wait: Promise<void> | undefined): void {
    const tag = this.nextTag++
    const d = { sub, queue, entry, tag, messageId: `T_${sub.id}@@${this.o.sessionId}@@${tag}` }
    if (!sub.noAck) this.settlement.track(d)
    this.session.delivered(queue, entry, sub.noAck, false)
    this.o.send(d, wait)
  }

  cancelled(sub: Subscription): void {
    if (this.subscriptions.get(sub.id) !== sub) return
    this.subscriptions.delete(sub.id)
    this.settlement.forget(sub)
    this.o.serverCancelled(sub.id)
  }

  /** The socket drained: the subscriptions' queues may deliver again. */
  drained(): void {
    for (const s of this.subscriptions.values()) if (!s.queue.deleted) s.queue.dispatch()
  }

  // ---- ACK, NACK and transactions (settlement.ts) ----

  settle(f: Frame, version: string): void {
    this.settlement.settle(f, version)
  }

  begin(f: Frame): void {
    this.settlement.begin(f)
  }

  end(f: Frame): void {
    this.settlement.end(f)
  }

  // ---- ending ----

  /** The connection is gone: subscriptions are cancelled and unacknowledged deliveries requeued. */
  close(): void {
    for (const sub of [...this.subscriptions.values()]) this.cancel(sub)
    this.settlement.clear()
    this.vhost.connectionClosed(this.connectionId)
  }
}

function isDurable(h: Headers): boolean {
  const v = (name: string): string | undefined => h.find(([k]) => k === name)?.[1]
  return v('durable') === 'true' || v('persistent') === 'true'
}

/** A durable topic subscription's queue: the same name for the same destination and id on every connection. */
function durableQueueName(destination: string, id: string): string {
  const hash = createHash('md5').update(`${destination}\u0000${id}`).digest('base64url')
  return `stomp-subscription-${hash}`
}
