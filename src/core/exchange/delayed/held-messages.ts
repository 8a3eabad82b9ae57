// What a delayed exchange holds, and when each message leaves: slots in due order (due-queue.ts), one
// timer for the earliest, and the bodies of stored messages kept out of memory while they are far from
// due and read back from the store up to a second before they are, so that they leave on time.
// The exchange decides what holding and leaving mean (storing, routing, the next copy of a series).
import type { Clock, Logger, TimerHandle } from '../../../shared/index.js'
import type { Message } from '../../message.js'
import type { QueueStore } from '../../ports.js'
import { DueQueue } from './due-queue.js'
import { NOT_STORED } from './held-table.js'
import { Lateness } from './lateness.js'
import { ONCE, revive, type Schedule, scheduleOf } from './schedule.js'

/** A stored message due later than this keeps no body in memory once it is on disk. */
const KEEP_BODY_MS = 2000
/** Due messages routed per timer turn; the rest follow on the next turn, so publishers are not starved. */
const RELEASE_BATCH = 2000
/** Stored messages due this soon have their bodies read back ahead of time, so they leave on time... */
const READ_AHEAD_MS = 1000
/** ...in reads of this many, short enough not to hold up the event loop... */
const READ_AHEAD_BATCH = 200
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

/** A message that is due, handed to the exchange; its slot is freed once the call returns. */
export interface DueMessage {
  readonly message: Message
  readonly due: number
  readonly storeId: number
  readonly schedule: Schedule | undefined
  readonly remaining: number
}

export class HeldMessages {
  /** How late messages left, since the broker started. */
  readonly lateness = new Lateness()
  private readonly queue = new DueQueue()
  private readonly table = this.queue.table
  private timer: TimerHandle | undefined
  private timerDue = Infinity
  private nextSeq = 0
  /** Stored slots (with their arrival numbers) waiting for a flush before their bodies may leave memory. */
  private unflushed: number[] = []
  /** Batches whose bodies are being read back: later batches wait for them, so order is kept. */
  private reading: Promise<void> | undefined
  private readingAhead = false
  private stopped = false

  constructor(
    private readonly clock: Clock,
    private readonly store: QueueStore | undefined,
    private readonly onDue: (m: DueMessage) => void,
    private readonly logger: Logger | undefined,
  ) {}

  get size(): number {
    return this.queue.size
  }

  get nextDue(): number | undefined {
    const slot = this.queue.peek()
    return slot === undefined ? undefined : this.table.due[slot]
  }

  /** Holds a message (or, recovering, a stored one whose body stays on disk) until `due`. */
  hold(
    due: number,
    storeId: number,
    msg: Message | undefined,
    schedule: Schedule | undefined,
    remaining: number,
  ): void {
    const seq = this.nextSeq++
    const slot = this.table.add(due, seq, storeId, msg, schedule, remaining)
    this.queue.push(slot)
    if (msg && storeId !== NOT_STORED) this.forgetBodyOnceStored(slot, seq)
    if (due < this.timerDue) this.arm()
  }

  /** The next `limit` held messages in due order; bodies not in memory are read back. */
  async list(limit: number): Promise<HeldMessage[]> {
    const t = this.table
    const held = this.queue.earliest(limit).map((slot) => ({
      id: t.seq[slot] as number,
      due: t.due[slot] as number,
      storeId: t.storeId[slot] as number,
      remaining: t.remaining[slot] as number,
      schedule: t.schedule.get(slot),
      message: t.message(slot),
    }))
    const missing = held.filter((h) => h.message === undefined && h.storeId !== NOT_STORED)
    const read =
      missing.length > 0 && this.store ? await this.store.readBatch(missing.map((h) => h.storeId)) : []
    missing.forEach((h, i) => (h.message = revive(read[i])))
    return held.map(({ id, due, remaining, schedule, message }) => ({
      id,
      due,
      remaining,
      message,
      schedule: schedule ?? (message && scheduleOf(message)) ?? ONCE,
    }))
  }

  /** Takes one held message out; returns its store id, or undefined when there is none with that id. */
  cancel(id: number): number | undefined {
    // A scan rather than an index: an index would cost every held message memory for a rare command.
    const slot = this.queue.slots().find((s) => this.table.seq[s] === id)
    if (slot === undefined || !this.queue.delete(slot)) return undefined
    const storeId = this.table.storeId[slot] as number
    this.table.remove(slot)
    this.arm()
    return storeId
  }

  /** Takes every held message out; returns their store ids. */
  purge(): number[] {
    const ids = this.queue.slots().map((s) => this.table.storeId[s] as number)
    this.queue.clear()
    this.unflushed = []
    this.arm()
    return ids.filter((id) => id !== NOT_STORED)
  }

  /** The timers stop; what is held stays (stored messages are back after a restart). */
  stop(): void {
    this.stopped = true
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Sets the one timer for the earliest due message, and reads ahead the bodies due soon. */
  arm(): void {
    if (this.stopped) return
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    const due = this.nextDue
    this.timerDue = due ?? Infinity
    if (due === undefined) return
    const now = this.clock.now()
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, due - now))
    this.timer.unref?.()
    if (this.store && now + READ_AHEAD_MS / 2 > this.queue.aheadUntil) this.readAhead()
  }

  /** One flush for all the messages kept meanwhile; then those far from due let their bodies go. */
  private forgetBodyOnceStored(slot: number, seq: number): void {
    this.unflushed.push(slot, seq)
    if (this.unflushed.length > 2) return
    void (this.store as QueueStore).flush().then(
      () => {
        const flushed = this.unflushed
        this.unflushed = []
        const later = this.clock.now() + KEEP_BODY_MS
        for (let i = 0; i < flushed.length; i += 2) {
          const s = flushed[i] as number
          if (this.table.isHolding(s, flushed[i + 1] as number) && (this.table.due[s] as number) > later)
            this.table.setMessage(s, undefined)
        }
      },
      () => undefined, // the publisher's confirm reports the failure; the bodies stay in memory
    )
  }

  /** Reads back, a batch at a time, the bodies of the stored messages due within READ_AHEAD_MS. */
  private readAhead(): void {
    const store = this.store
    if (this.readingAhead || !store || this.stopped) return
    const moved = this.queue.takeAhead(this.clock.now() + READ_AHEAD_MS, READ_AHEAD_BATCH, READ_AHEAD_BYTES)
    const wanted = moved.filter((s) => this.table.message(s) === undefined)
    if (wanted.length === 0) {
      if (moved.length === READ_AHEAD_BATCH) this.readAhead()
      return
    }
    this.readingAhead = true
    const seqs = wanted.map((s) => this.table.seq[s] as number)
    store.readBatch(wanted.map((s) => this.table.storeId[s] as number)).then(
      (read) => {
        wanted.forEach((s, i) => this.queue.loaded(s, seqs[i] as number, revive(read[i])))
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
    const now = this.clock.now()
    const batch: number[] = []
    for (let slot = this.queue.peek(); slot !== undefined; slot = this.queue.peek()) {
      if ((this.table.due[slot] as number) > now || batch.length >= RELEASE_BATCH) break
      batch.push(this.queue.pop() as number)
    }
    const inMemory = batch.every((s) => this.table.message(s) !== undefined)
    if (batch.length > 0 && inMemory && !this.reading) this.leave(batch)
    else if (batch.length > 0) this.leaveOnceRead(batch)
    this.arm()
  }

  /** Reads the bodies a batch lacks, after any batch still being read, then lets it leave. */
  private leaveOnceRead(popped: number[]): void {
    const seqs = popped.map((s) => this.table.seq[s] as number)
    // A purge meanwhile frees the slots, and new messages may take them: those are not this batch.
    const batch = (): number[] => popped.filter((s, i) => this.table.isHolding(s, seqs[i] as number))
    const done = (this.reading ?? Promise.resolve())
      .then(() => this.readBodies(batch()))
      .then(
        () => this.leave(batch()),
        (err: unknown) => this.readFailed(batch(), err),
      )
    this.reading = done.finally(() => {
      if (this.reading === done) this.reading = undefined
    })
  }

  private async readBodies(batch: number[]): Promise<void> {
    const missing = batch.filter((s) => this.table.message(s) === undefined)
    if (missing.length === 0 || !this.store) return
    const read = await this.store.readBatch(missing.map((s) => this.table.storeId[s] as number))
    missing.forEach((s, i) => this.table.setMessage(s, revive(read[i])))
  }

  /** A failed read: the messages stay stored and are tried again after a restart; say so loudly. */
  private readFailed(batch: number[], err: unknown): void {
    for (const s of batch) this.table.remove(s)
    this.logger?.error(
      { err, messages: batch.length },
      'delayed messages could not be read back from the store; they stay stored until the next start',
    )
  }

  private leave(batch: number[]): void {
    const t = this.table
    const now = this.clock.now()
    for (const slot of batch) {
      this.lateness.record(now - (t.due[slot] as number))
      const message = t.message(slot)
      const due = t.due[slot] as number
      const storeId = t.storeId[slot] as number
      const remaining = t.remaining[slot] as number
      const schedule = t.schedule.get(slot)
      t.remove(slot)
      if (message && !this.stopped) this.onDue({ message, due, storeId, schedule, remaining })
    }
  }
}
