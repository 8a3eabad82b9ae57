// x-delayed-message, as RabbitMQ's rabbitmq_delayed_message_exchange plugin defines it, but durable, and
// with ActiveMQ's scheduled delivery (schedule.ts): a message with a positive integer `x-delay` header (ms),
// a repeat count or a cron expression is kept by the exchange and routed by its underlying type (the
// `x-delayed-type` argument) when due; any other message is routed at once.
// A persistent message held by a durable exchange is in the exchange's store before it is confirmed, and
// leaves that store only once the queues it was routed to have it on disk: a crash or kill -9 loses
// nothing (a message due while the broker was down is routed right after the restart, at worst twice).
// The next delivery of a series is stored before the last one's record goes. Only the earliest due
// message has a timer; messages far from due keep no body in memory.
import { PreconditionFailedError, type TimerHandle } from '../../../shared/index.js'
import type { Message } from '../../message.js'
import type { QueueStore } from '../../ports.js'
import type { DurabilityTicket } from '../../queue-types/queue.js'
import { type Binding, Exchange, type ExchangeOptions, type RouteSink } from '../exchange.js'
import type { ExchangeHost, ExchangeType } from '../exchange-type.js'
import { DueQueue } from './due-queue.js'
import type { PendingEntry } from './pending-heap.js'
import {
  type CronSchedules,
  deliveredCopy,
  firstDue,
  nextDelivery,
  revive,
  type Schedule,
  scheduleOf,
  storedRemaining,
  withRemaining,
} from './schedule.js'

/** A stored message due later than this keeps no body in memory once it is on disk. */
const KEEP_BODY_MS = 2000
/** Due messages routed per timer turn; the rest follow on the next turn, so publishers are not starved. */
const RELEASE_BATCH = 2000
/** Stored messages due this soon have their bodies read back ahead of time, so they leave on time... */
const READ_AHEAD_MS = 1000
/** ...in reads of this many, short enough not to hold up the event loop... */
const READ_AHEAD_BATCH = 500
/** ...while the bodies read ahead stay under this. */
const READ_AHEAD_BYTES = 16 * 1024 * 1024

/** A held message as listings show it. */
export interface HeldMessage {
  readonly id: number
  readonly due: number
  readonly schedule: Schedule
  /** Copies left after the next one in its series. */
  readonly remaining: number
  readonly message: Message | undefined
}

export class DelayedExchange extends Exchange {
  readonly type: string = 'x-delayed-message'
  private readonly inner: Exchange
  private readonly pending = new DueQueue()
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
  private readingAhead = false

  constructor(
    opts: ExchangeOptions,
    private readonly host: ExchangeHost,
    private readonly innerType: ExchangeType,
    private readonly cron: CronSchedules,
  ) {
    super(opts)
    this.inner = innerType.create(opts, host)
    this.store = host.exchangeStore(this)
  }

  override get heldCount(): number {
    return this.pending.size
  }

  /** When the next held message is due (clock ms), if any. */
  get nextDue(): number | undefined {
    return this.pending.peek()?.due
  }

  route(msg: Message, routingKey: string, sink: RouteSink): void {
    const schedule = msg === this.releasing ? undefined : scheduleOf(msg)
    if (schedule === undefined) return this.inner.route(msg, routingKey, sink)
    if (msg === this.lastKept) return
    const due = this.firstDue(schedule)
    this.lastKept = msg
    sink.hold(this.keep(msg, schedule, due, schedule.repeat))
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
      const schedule = scheduleOf(m)
      if (!schedule) return store.remove(m.id) // nothing to wait for: not written by this exchange
      // Due times are stored as the entry's expiry; bodies are read back when due.
      this.add(m.expiresAt ?? now, m.id, undefined, schedule, storedRemaining(m, schedule))
    })
    this.arm()
  }

  /** The next `limit` held messages in due order; bodies not in memory are read back. */
  async list(limit: number): Promise<HeldMessage[]> {
    const entries = this.pending.earliest(limit)
    const missing = entries.filter((e) => e.message === undefined && e.storeId >= 0)
    const read =
      missing.length > 0 && this.store ? await this.store.readBatch(missing.map((e) => e.storeId)) : []
    const bodies = new Map(missing.map((e, i) => [e, revive(read[i])]))
    return entries.map((e) => ({
      id: e.seq,
      due: e.due,
      schedule: e.schedule,
      remaining: e.remaining,
      message: e.message ?? bodies.get(e),
    }))
  }

  /** Cancels one held message (a whole series); false when there is none with that id. */
  cancel(id: number): boolean {
    // A scan rather than an index: an index would cost every held message memory for a rare command.
    let e: PendingEntry | undefined
    for (const x of this.pending.values()) if (x.seq === id) e = x
    if (!e) return false
    this.drop(e)
    this.arm()
    return true
  }

  /** Cancels every held message; returns how many there were. */
  purge(): number {
    const n = this.pending.size
    for (const e of [...this.pending.values()]) this.drop(e)
    this.arm()
    return n
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

  private firstDue(schedule: Schedule): number {
    try {
      return firstDue(schedule, this.host.clock.now(), this.cron)
    } catch (err) {
      throw new PreconditionFailedError(
        `invalid x-schedule-cron '${schedule.cron}': ${(err as Error).message}`,
      )
    }
  }

  private drop(e: PendingEntry): void {
    this.pending.cancel(e)
    if (e.storeId >= 0) this.store?.remove(e.storeId)
  }

  /** Holds a message until it is due; returns what its confirm waits for. */
  private keep(
    msg: Message,
    schedule: Schedule,
    due: number,
    remaining: number,
  ): DurabilityTicket | undefined {
    const stored = this.store !== undefined && msg.persistent
    const storeId = stored ? (this.store as QueueStore).append(msg, due) : -1
    const entry = this.add(due, storeId, msg, schedule, remaining)
    if (stored) this.forgetBodyOnceStored(entry)
    if (due < this.timerDue) this.arm()
    return stored ? this.store : undefined
  }

  private add(
    due: number,
    storeId: number,
    msg: Message | undefined,
    schedule: Schedule,
    remaining: number,
  ): PendingEntry {
    const seq = this.nextSeq++
    const entry: PendingEntry = { due, seq, storeId, message: msg, schedule, remaining, cancelled: false }
    this.pending.push(entry)
    return entry
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
    const now = this.host.clock.now()
    this.timer = this.host.clock.setTimeout(() => this.fire(), Math.max(0, top.due - now))
    this.timer.unref?.()
    if (this.store && now + READ_AHEAD_MS / 2 > this.pending.aheadUntil) this.readAhead()
  }

  /** Reads back, a batch at a time, the bodies of the stored messages due within READ_AHEAD_MS. */
  private readAhead(): void {
    const store = this.store
    if (this.readingAhead || !store || this.stopped) return
    const horizon = this.host.clock.now() + READ_AHEAD_MS
    const moved = this.pending.takeAhead(horizon, READ_AHEAD_BATCH, READ_AHEAD_BYTES)
    const wanted = moved.filter((e) => e.message === undefined)
    if (wanted.length === 0) {
      if (moved.length === READ_AHEAD_BATCH) this.readAhead()
      return
    }
    this.readingAhead = true
    store.readBatch(wanted.map((e) => e.storeId)).then(
      (read) => {
        for (let i = 0; i < wanted.length; i++)
          this.pending.loaded(wanted[i] as PendingEntry, revive(read[i]))
        this.readingAhead = false
        this.readAhead()
      },
      () => {
        this.readingAhead = false // read when due instead, where a failure is reported
      },
    )
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
    if (batch.length > 0 && !this.reading && batch.every((e) => e.message !== undefined))
      this.releaseAll(batch)
    else if (batch.length > 0) this.releaseLater(batch)
    this.arm()
  }

  /** Reads the bodies a batch lacks, after any batch still being read, then releases it. */
  private releaseLater(batch: PendingEntry[]): void {
    const done = (this.reading ?? Promise.resolve())
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
    for (const e of batch) if (!e.cancelled) this.release(e)
  }

  /**
   * Routes a due message by the underlying type and keeps its next delivery, if its schedule has one.
   * Its stored record goes once the queues have their copies on disk and the next one is stored.
   */
  private release(e: PendingEntry): void {
    const msg = e.message
    if (msg === undefined) return // its store lost it: logged by the store
    const copy = deliveredCopy(msg, e.schedule)
    this.releasing = copy
    let reached: { tickets: readonly DurabilityTicket[] }
    try {
      reached = this.host.releaseHeld(this, copy)
    } finally {
      this.releasing = undefined
    }
    e.message = undefined
    const remaining = e.remaining
    e.remaining = -1
    const next = nextDelivery(e.schedule, e.due, remaining, this.host.clock.now(), this.cron)
    if (next) this.keep(withRemaining(msg, next.remaining), e.schedule, next.due, next.remaining)
    this.removeOnceCopied(e.storeId, reached.tickets)
  }

  private removeOnceCopied(storeId: number, tickets: readonly DurabilityTicket[]): void {
    const store = this.store
    if (storeId < 0 || !store) return
    if (tickets.length === 0) return store.remove(storeId)
    void Promise.all(tickets.map((t) => t.flush())).then(
      () => store.remove(storeId),
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

/** The x-delayed-message type; `cron` computes cron schedules (boot passes a library's). */
export function delayedExchangeType(cron: CronSchedules): ExchangeType {
  return {
    name: DELAYED,
    description: 'Delayed Message Exchange.',
    create: (opts, host) => new DelayedExchange(opts, host, underlyingType(opts, host), cron),
  }
}
