// x-delayed-message, as RabbitMQ's rabbitmq_delayed_message_exchange plugin defines it, but durable: a
// message with a positive integer `x-delay` header (milliseconds) is kept by the exchange and routed by
// its underlying type (the `x-delayed-type` argument) once due; any other message is routed at once.
// A persistent message held by a durable exchange is in the exchange's store before it is confirmed, and
// leaves that store only once the queues it was routed to have it on disk: a crash or kill -9 loses
// nothing (a message due while the broker was down is routed right after the restart, at worst twice).
// Only the earliest due message has a timer; messages far from due keep no body in memory.
import { PreconditionFailedError, type TimerHandle } from '../../../shared/index.js'
import type { Message } from '../../message.js'
import type { QueueStore } from '../../ports.js'
import type { DurabilityTicket } from '../../queue-types/queue.js'
import { type Binding, Exchange, type ExchangeOptions, type RouteSink } from '../exchange.js'
import type { ExchangeHost, ExchangeType } from '../exchange-type.js'
import { delayOf, releasedMessage, revive } from './delay-header.js'
import { type PendingEntry, PendingHeap } from './pending-heap.js'

/** A stored message due later than this keeps no body in memory once it is on disk. */
const KEEP_BODY_MS = 2000
/** Due messages routed per timer turn; the rest follow on the next turn, so publishers are not starved. */
const RELEASE_BATCH = 2000

export class DelayedExchange extends Exchange {
  readonly type: string = 'x-delayed-message'
  private readonly inner: Exchange
  private readonly pending = new PendingHeap()
  private readonly store: QueueStore | undefined
  private timer: TimerHandle | undefined
  private timerDue = Infinity
  private nextSeq = 0
  /** The message being routed onward now: it passes straight to the underlying type. */
  private releasing: Message | undefined
  /** The message last kept: routing it again for a CC key keeps it once. */
  private lastKept: Message | undefined
  /** Kept messages waiting for the store's flush before their bodies may leave memory. */
  private unflushed: PendingEntry[] = []
  /** Batches whose bodies are being read back: later batches wait for them, so order is kept. */
  private reading: Promise<void> | undefined
  private stopped = false

  constructor(
    opts: ExchangeOptions,
    private readonly host: ExchangeHost,
    private readonly innerType: ExchangeType,
  ) {
    super(opts)
    this.inner = innerType.create(opts, host)
    this.store = host.exchangeStore(this)
  }

  get underlyingType(): string {
    return this.innerType.name
  }

  override get heldCount(): number {
    return this.pending.size
  }

  /** When the next held message is due (clock ms), if any. */
  get nextDue(): number | undefined {
    return this.pending.peek()?.due
  }

  route(msg: Message, routingKey: string, sink: RouteSink): void {
    const delay = msg === this.releasing ? undefined : delayOf(msg)
    if (delay === undefined) return this.inner.route(msg, routingKey, sink)
    if (msg === this.lastKept) return
    this.lastKept = msg
    sink.hold(this.keep(msg, delay))
  }

  override checkBinding(args: Binding['args'], routingKey: string): void {
    this.innerType.validateBinding?.(args, routingKey)
  }

  protected indexAdd(b: Binding): void {
    this.inner.indexBinding(b, true)
  }

  protected indexRemove(b: Binding): void {
    this.inner.indexBinding(b, false)
  }

  override async recover(): Promise<void> {
    const store = this.store
    if (!store) return
    const now = this.host.clock.now()
    await store.recover((m) => {
      // Due times are stored as the entry's expiry; bodies are read back when due.
      this.pending.push({ due: m.expiresAt ?? now, seq: this.nextSeq++, storeId: m.id, message: undefined })
    })
    this.arm()
  }

  override dispose(): void {
    this.stop()
    this.pending.clear()
    this.unflushed = []
  }

  override stop(): void {
    this.stopped = true
    if (this.timer) this.host.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Holds a message until it is due; returns what its confirm waits for. */
  private keep(msg: Message, delay: number): DurabilityTicket | undefined {
    const due = this.host.clock.now() + delay
    const stored = this.store !== undefined && msg.persistent
    const storeId = stored ? (this.store as QueueStore).append(msg, due) : -1
    const entry: PendingEntry = { due, seq: this.nextSeq++, storeId, message: msg }
    this.pending.push(entry)
    if (stored) this.forgetBodyOnceStored(entry)
    if (due < this.timerDue) this.arm()
    return stored ? this.store : undefined
  }

  /** One flush for all the messages kept meanwhile; then those far from due let their bodies go. */
  private forgetBodyOnceStored(entry: PendingEntry): void {
    this.unflushed.push(entry)
    if (this.unflushed.length > 1) return
    void (this.store as QueueStore).flush().then(
      () => {
        const flushed = this.unflushed
        this.unflushed = []
        const later = this.host.clock.now() + KEEP_BODY_MS
        for (const e of flushed) if (e.due > later) e.message = undefined
      },
      () => undefined, // the publisher's confirm reports the failure; the body stays in memory
    )
  }

  /** Sets the one timer for the earliest due message. */
  private arm(): void {
    if (this.stopped) return
    const top = this.pending.peek()
    if (this.timer) this.host.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.timerDue = top ? top.due : Infinity
    if (!top) return
    this.timer = this.host.clock.setTimeout(() => this.fire(), Math.max(0, top.due - this.host.clock.now()))
    this.timer.unref?.()
  }

  private fire(): void {
    this.timer = undefined
    this.timerDue = Infinity
    const now = this.host.clock.now()
    const batch: PendingEntry[] = []
    for (let top = this.pending.peek(); top && top.due <= now && batch.length < RELEASE_BATCH;) {
      batch.push(this.pending.pop() as PendingEntry)
      top = this.pending.peek()
    }
    this.arm()
    if (batch.length === 0) return
    if (!this.reading && batch.every((e) => e.message !== undefined)) return this.releaseAll(batch)
    const previous = this.reading ?? Promise.resolve()
    const done = previous
      .then(() => this.readBodies(batch))
      .then(
        () => this.releaseAll(batch),
        (err: unknown) => this.releaseFailed(batch, err),
      )
    this.reading = done.finally(() => {
      if (this.reading === done) this.reading = undefined
    })
  }

  private async readBodies(batch: PendingEntry[]): Promise<void> {
    const missing = batch.filter((e) => e.message === undefined)
    if (missing.length === 0) return
    const read = await (this.store as QueueStore).readBatch(missing.map((e) => e.storeId))
    for (let i = 0; i < missing.length; i++) (missing[i] as PendingEntry).message = revive(read[i])
  }

  /** A failed read: the messages stay stored and are tried again after a restart; say so loudly. */
  private releaseFailed(batch: PendingEntry[], err: unknown): void {
    this.host.logger?.error(
      { err, vhost: this.vhost, exchange: this.name, messages: batch.length },
      'delayed messages could not be read back from the store; they stay stored until the next start',
    )
  }

  private releaseAll(batch: PendingEntry[]): void {
    if (this.stopped || this.deleted) return
    for (const e of batch) this.release(e)
  }

  /** Routes a due message by the underlying type; its stored copy goes once the queues have theirs. */
  private release(e: PendingEntry): void {
    if (e.message === undefined) return // its store lost it: logged by the store
    const msg = releasedMessage(e.message)
    this.releasing = msg
    let reached: { tickets: readonly DurabilityTicket[] }
    try {
      reached = this.host.releaseHeld(this, msg)
    } finally {
      this.releasing = undefined
    }
    e.message = undefined
    const store = this.store
    if (e.storeId < 0 || !store) return
    if (reached.tickets.length === 0) return store.remove(e.storeId)
    void Promise.all(reached.tickets.map((t) => t.flush())).then(
      () => store.remove(e.storeId),
      () => undefined, // not in the queues' stores: it stays in this one and comes back after a restart
    )
  }
}

const DELAYED = 'x-delayed-message'

function underlyingType(opts: ExchangeOptions, host: ExchangeHost): ExchangeType {
  const name = opts.args['x-delayed-type']
  if (name === DELAYED) {
    throw new PreconditionFailedError(`Invalid argument, '${DELAYED}' can't be used for 'x-delayed-type'`)
  }
  if (typeof name !== 'string') {
    throw new PreconditionFailedError("Invalid argument, 'x-delayed-type' must be an existing exchange type")
  }
  // An unknown type: 503 COMMAND_INVALID "unknown exchange type", as the plugin answers.
  const type = host.exchangeTypes.get(name)
  type.validate?.(opts)
  return type
}

export const delayedExchangeType: ExchangeType = {
  name: DELAYED,
  description: 'Delayed Message Exchange.',
  create: (opts, host) => new DelayedExchange(opts, host, underlyingType(opts, host)),
}
