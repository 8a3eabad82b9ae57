// One AMQP channel: method dispatch through a table of handlers, publishes handed to the core's session
// (assembled from frames in content-assembly.ts), deliveries with their prefetch, and publisher confirms.
// Acknowledgements and transactions are in settlement.ts.
import {
  type ConsumerOwner,
  type Exchange,
  Message,
  type PublishResult,
  type Queue,
  type QueueEntry,
  type VHost,
  type MessageStats,
  Session,
} from '../core/index.js'
import {
  CONTENT_METHODS,
  METHOD_IDS,
  type Method,
  type MethodName,
  type MethodOf,
  writeBodyFrames,
  writeDelivery,
  writeMethodFrame,
  writeRawHeaderFrame,
  encodeBasicProperties,
} from '../protocol/index.js'
import { type BasicProperties, CommandInvalidError, NotFoundError } from '../shared/index.js'
import type { Connection } from './connection.js'
import type { ChannelConsumer } from './channel-consumer.js'
import type { User } from '../auth/index.js'
import { ConfirmTracker } from './confirms.js'
import { ContentAssembler, type PendingPublish } from './content-assembly.js'
import { DirectReply } from './direct-reply.js'
import { Settlement } from './settlement.js'
import { UnackedTracker } from './unacked.js'

export class Channel implements ConsumerOwner {
  readonly consumers = new Map<string, ChannelConsumer>()
  readonly unacked = new UnackedTracker()
  /** The protocol-neutral side of the channel: checks, routing, counters, tracing (core/session.ts). */
  readonly session: Session
  /** Name of the last queue declared on this channel: '' in later queue methods means it. */
  lastQueue = ''
  prefetchCount = 0
  globalPrefetch = 0
  flowActive = true
  private confirms: ConfirmTracker | undefined
  private deliveryTag = 0
  /** The publish being assembled from its frames (content-assembly.ts). */
  readonly content: ContentAssembler
  /** Acks, rejects and the transaction (settlement.ts). */
  readonly settlement: Settlement = new Settlement(this)
  readonly directReply: DirectReply
  private closed = false

  constructor(
    readonly conn: Connection,
    readonly id: number,
    /** Uncounts the channel from its user's (core/tracking.ts). */
    private readonly untrack: () => void = () => {},
  ) {
    this.directReply = new DirectReply(this)
    const ctx = conn.ctx
    this.content = new ContentAssembler(
      ctx.codec,
      (size) => this.session.checkSize(size),
      (p, body) => this.completePublish(p, body),
    )
    this.session = new Session({
      vhost: conn.vhost as VHost,
      user: (conn.user as User).name,
      authz: ctx.authz,
      connection: conn.name,
      channel: id,
      node: String(ctx.serverProperties['cluster_name'] ?? 'warren'),
      maxMessageSize: ctx.broker.limits.maxMessageSize,
    })
  }

  /** Message counters for the management API (see core/stats.ts). */
  get stats(): MessageStats {
    return this.session.stats
  }

  /** tx.select was received (shown by the management API). */
  get txMode(): boolean {
    return this.settlement.txMode
  }

  /** Publishes not yet confirmed, and what the open transaction holds (shown by the management API). */
  get unconfirmedCount(): number {
    return this.confirms?.unconfirmed ?? 0
  }

  get uncommittedCount(): number {
    return this.settlement.uncommittedPublishes
  }

  get uncommittedAckCount(): number {
    return this.settlement.uncommittedSettles
  }

  get connectionId(): number {
    return this.conn.id
  }

  get vhost(): VHost {
    return this.conn.vhost as VHost
  }

  send(m: Method): void {
    this.conn.send(this.id, m)
  }

  // ---- dispatch ----

  /** Handles a method; a returned promise means the connection must wait for it before going on. */
  onMethod(m: Method): void | Promise<void> {
    if (this.content.busy) throw this.content.contentExpected()
    const handler = this.conn.ctx.handlers[m.name] as
      ((ch: Channel, m: Method) => void | Promise<void>) | undefined
    if (!handler) {
      // A server-only method with content (basic.deliver, basic.return, basic.get-ok) is followed by its
      // content frames, which are read before the method is refused, as RabbitMQ's frame assembler does.
      if (CONTENT_METHODS.has(m.name)) return this.content.start(undefined, '', false, METHOD_IDS[m.name])
      throw new CommandInvalidError('unimplemented method')
    }
    return handler(this, m)
  }

  /**
   * Runs `reply` once durable changes made so far are on disk (at once when nothing is being written),
   * so that a declare-ok for a durable queue means the queue survives a crash. A durable change passes
   * `notStored`: if the disk refuses it, that undoes what can be undone (a new queue, exchange or binding
   * goes again; a deletion stays, and is saved by the store's retry) and the method fails with the error.
   */
  afterDurable(reply: () => void, notStored?: () => void): void | Promise<void> {
    const d = this.conn.ctx.durability
    if (!d?.busy) return reply()
    return d.settled().then(reply, (err: unknown) => {
      // Only a change that had to be stored fails with the store; `notStored` undoes what it created.
      if (!notStored) return reply()
      notStored()
      throw err
    })
  }

  /** The queue name a method means: '' stands for the last queue declared on this channel. */
  queueName(name: string): string {
    if (name !== '') return name
    if (this.lastQueue === '') throw new NotFoundError('no previously declared queue')
    return this.lastQueue
  }

  // ---- publishing ----

  private completePublish(p: PendingPublish, body: Buffer): void {
    if (!p.exchange) {
      const refused = new CommandInvalidError('unimplemented method')
      refused.method = p.methodIds
      throw refused
    }
    const exchange = p.exchange
    const props = this.directReply.rewriteReplyTo(p.properties as BasicProperties)
    this.session.validate(props)
    const raw = props === p.properties ? p.rawProperties : undefined
    // No clock read per publish: TTLs read the clock only for queues and messages that have one.
    const msg = new Message(exchange.name, p.routingKey, props, body, raw)
    // Under a resource alarm the connection is blocked once this message is in.
    this.conn.blocking.onPublish()
    if (this.settlement.holdPublish(exchange, msg, p.mandatory)) return
    this.routePublish(exchange, msg, p.mandatory)
  }

  routePublish(exchange: Exchange, msg: Message, mandatory: boolean): PublishResult {
    const result = this.session.publish(exchange, msg, mandatory, this.confirmMode)
    if (result.queues === 0 && mandatory) this.returnMessage(msg, 312, 'NO_ROUTE')
    if (this.confirms) this.confirms.publish(result.rejected, result.tickets)
    if (result.congested) this.conn.input.holdFor(result.congested)
    return result
  }

  private returnMessage(msg: Message, replyCode: number, replyText: string): void {
    const w = this.conn.writer
    writeMethodFrame(w, this.id, {
      name: 'basic.return',
      replyCode,
      replyText,
      exchange: msg.exchange,
      routingKey: msg.routingKey,
    })
    this.writeContent(msg)
  }

  /** Writes the confirms that are ready, just before the connection flushes. */
  writePendingConfirms(): void {
    if (!this.closed) this.confirms?.beforeFlush()
  }

  /** In confirm mode: confirm.select was received (there is a confirm tracker). */
  get confirmMode(): boolean {
    return this.confirms !== undefined
  }

  enableConfirms(): void {
    if (this.confirms) return
    const w = this.conn.writer
    this.confirms = new ConfirmTracker({
      writeAck: (deliveryTag, multiple) =>
        writeMethodFrame(w, this.id, { name: 'basic.ack', deliveryTag, multiple }),
      writeNack: (deliveryTag) =>
        writeMethodFrame(w, this.id, { name: 'basic.nack', deliveryTag, multiple: false, requeue: false }),
      requestFlush: () => {
        this.conn.output.confirmBeforeFlush(this)
      },
      failed: (err) => this.conn.fail(err, this.id, undefined),
    })
  }

  // ---- delivering ----

  canDeliverTo(c: ChannelConsumer): boolean {
    if (!this.flowActive || this.closed) return false
    if (!c.noAck) {
      if (c.prefetch > 0 && c.unacked >= c.prefetch) return false
      if (this.globalPrefetch > 0 && c.underGlobalQos && this.unacked.count >= this.globalPrefetch)
        return false
    }
    return this.conn.output.canDeliver()
  }

  deliver(c: ChannelConsumer, queue: Queue, entry: QueueEntry): void {
    const tag = ++this.deliveryTag
    if (!c.noAck) {
      this.unacked.add({ tag, queue, entry, consumer: c })
      c.unacked++
    }
    const msg = entry.message
    const w = this.conn.writer
    writeDelivery(
      w,
      this.id,
      c.tagBytes,
      tag,
      entry.redelivered,
      msg.exchange,
      msg.routingKey,
      this.rawPropertiesOf(msg),
      msg.body,
      this.conn.frameMax,
    )
    this.conn.output.scheduleFlush()
    this.session.delivered(queue, entry, c.noAck, false)
  }

  /** basic.get-ok for an entry taken from `queue`. */
  deliverGet(queue: Queue, entry: QueueEntry, noAck: boolean): void {
    const tag = ++this.deliveryTag
    if (!noAck) this.unacked.add({ tag, queue, entry, consumer: undefined })
    const msg = entry.message
    writeMethodFrame(this.conn.writer, this.id, {
      name: 'basic.get-ok',
      deliveryTag: tag,
      redelivered: entry.redelivered,
      exchange: msg.exchange,
      routingKey: msg.routingKey,
      messageCount: queue.readyCount,
    })
    this.writeContent(msg)
    this.session.delivered(queue, entry, noAck, true)
  }

  private writeContent(msg: Message): void {
    const w = this.conn.writer
    writeRawHeaderFrame(w, this.id, msg.body.length, this.rawPropertiesOf(msg))
    if (msg.body.length > 0) writeBodyFrames(w, this.id, msg.body, this.conn.frameMax)
    this.conn.output.scheduleFlush()
  }

  /** The property bytes to send: those received, or encoded once for a message made by the broker. */
  private rawPropertiesOf(msg: Message): Buffer {
    let raw = msg.rawProperties
    if (!raw) {
      const w = this.conn.ctx.codec.propsWriter
      encodeBasicProperties(w, msg.properties)
      raw = msg.rawProperties = Buffer.concat(w.take())
    }
    return raw
  }

  /** Acks free prefetch room: let the queues of this channel's consumers deliver again. */
  resumeConsumers(): void {
    for (const c of this.consumers.values()) c.queue.dispatch()
  }

  // ---- consumers ----

  addConsumer(c: ChannelConsumer): void {
    this.consumers.set(c.tag, c)
  }

  cancelConsumer(tag: string): ChannelConsumer | undefined {
    const c = this.consumers.get(tag)
    if (!c) return undefined
    this.consumers.delete(tag)
    c.queue.removeConsumer(c)
    if (this.directReply.isReplyConsumer(c)) this.directReply.close()
    return c
  }

  /** The consumed queue was deleted: RabbitMQ tells the client with a server-sent basic.cancel. */
  consumerCancelledByServer(c: ChannelConsumer): void {
    if (this.consumers.get(c.tag) !== c) return
    this.consumers.delete(c.tag)
    if (this.closed) return
    if (this.conn.clientCapabilities['consumer_cancel_notify'] === true) {
      this.conn.output.notify(() => {
        if (!this.closed) this.send({ name: 'basic.cancel', consumerTag: c.tag, noWait: true })
      })
    }
  }

  // ---- closing ----

  /** Releases everything the channel holds: consumers are cancelled and unacked messages requeued. */
  teardown(): void {
    if (this.closed) return
    this.closed = true
    this.untrack()
    this.content.reset()
    for (const c of [...this.consumers.values()]) {
      this.consumers.delete(c.tag)
      c.queue.removeConsumer(c)
    }
    this.settlement.requeueAll()
    this.directReply.close()
  }

  isClosed(): boolean {
    return this.closed
  }
}

export type Handler<N extends MethodName> = (ch: Channel, m: MethodOf<N>) => void | Promise<void>
export type HandlerTable = { [N in MethodName]?: Handler<N> }
