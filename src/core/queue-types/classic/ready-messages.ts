// The ready messages of a queue: an in-memory window at the head (a FIFO or priority list of full
// entries) and a paged-out tail that holds only store ids (PagedTail). A durable queue pages always: once
// the window holds WINDOW_MAX messages, later messages go to the tail and their bodies are dropped from
// memory (they are in the queue's store). Under memory pressure every other queue pages too, into its
// durable store or a paging store, and the part of its window beyond WINDOW_MAX is moved out as well.
// When the window runs low, the next batch is read back.
import type { Message, QueueEntry } from '../../message.js'
import type { PersistedMessage, QueueStore } from '../../ports.js'
import type { Drained } from './entry-ring.js'
import type { MessageList } from './message-list.js'
import { PagedTail, type TailEntry } from './paged-tail.js'

/** Messages kept in memory at the head of a paging queue. */
export const WINDOW_MAX = 4096
/** Below this many in the window, the next batch is read back from the store. */
const WINDOW_LOW = 1024
const PAGE_IN_BATCH = 2048
/** Window entries moved out per step under memory pressure (one step per event-loop turn). */
const PAGE_OUT_BATCH = 16384
/** Steps between waits for the store to have written them. */
const PAGE_OUT_STEPS_PER_WRITE = 8

export interface ReadyHost {
  /** Whether messages past the window should go to disk now (the queue's kind and memory pressure). */
  pagingWanted(): boolean
  /** The store to page into (a transient queue's is opened on first use); undefined when there is none. */
  pagingStore(): QueueStore | undefined
  /** Rebuilds a message read back from the store. */
  revive(stored: PersistedMessage): Message
  /** A page-in finished: the queue may deliver (or expire) again. */
  pagedIn(): void
  /** A page-in failed; the messages stay on disk and the error is reported. */
  pageInFailed(err: unknown): void
}

export class ReadyMessages {
  private tail: PagedTail | undefined
  /** The store the tail's messages are in, once something was paged out. */
  private store: QueueStore | undefined
  private pagingOut = false
  private inFlight: TailEntry[] = []
  private inFlightBytes = 0
  private windowBytes = 0
  /** Bumped by clear(): a page-in that started before a purge must not bring its messages back. */
  private generation = 0

  constructor(
    private readonly window: MessageList,
    private readonly host: ReadyHost,
  ) {}

  get length(): number {
    return this.window.length + this.inFlight.length + (this.tail?.length ?? 0)
  }

  /** Body bytes of the messages held in memory (the window and those on their way out to disk). */
  get inMemoryBytes(): number {
    return this.windowBytes + this.inFlightBytes
  }

  get bytes(): number {
    return this.windowBytes + this.inFlightBytes + (this.tail?.bytes ?? 0)
  }

  /** Messages that are on disk only. */
  get pagedOut(): number {
    return this.inFlight.length + (this.tail?.length ?? 0)
  }

  /** The window is empty but messages wait on disk: a reader must wait for pageIn(). */
  get waitingForPageIn(): boolean {
    return this.window.length === 0 && this.pagedOut > 0
  }

  push(e: QueueEntry): void {
    // Once anything is paged out, everything after it must be too, or the order would break.
    if (this.pagedOut > 0 || (this.window.length >= WINDOW_MAX && this.host.pagingWanted())) {
      const store = (this.store ??= this.host.pagingStore())
      if (store) {
        this.tail ??= new PagedTail()
        this.tail.push(storedId(store, e), e.seq, e.message.size, e.expiresAt, e.redelivered)
        return
      }
    }
    this.window.push(e)
    this.windowBytes += e.message.size
  }

  /**
   * Moves the window's entries beyond WINDOW_MAX to the store (memory is short), from the back, a batch
   * per event-loop turn. Every few batches it waits for the store to have written them, so that what is
   * buffered for writing stays bounded; waiting on every batch would crawl while publishers keep the
   * event loop busy (each await of a write waits behind their socket reads).
   */
  async pageOut(): Promise<void> {
    if (this.pagingOut) return
    this.pagingOut = true
    try {
      // A page-in in flight sits between the window and the tail: moving entries behind it would reorder.
      for (let step = 1; this.window.length > WINDOW_MAX && this.inFlight.length === 0; step++) {
        if (!this.host.pagingWanted()) return
        const store = (this.store ??= this.host.pagingStore())
        if (!store) return
        this.movePage(store, this.window.popTail(Math.min(this.window.length - WINDOW_MAX, PAGE_OUT_BATCH)))
        if (step % PAGE_OUT_STEPS_PER_WRITE === 0) await store.flush()
        else await new Promise((resolve) => setImmediate(resolve))
      }
    } finally {
      this.pagingOut = false
    }
  }

  private movePage(store: QueueStore, batch: readonly QueueEntry[]): void {
    // Ids are given in queue order, so a later page-in reads them back mostly in file order.
    const ids = batch.map((e) => storedId(store, e))
    this.tail ??= new PagedTail()
    for (let k = batch.length - 1; k >= 0; k--) {
      const e = batch[k] as QueueEntry
      this.tail.unshift(ids[k] as number, e.seq, e.message.size, e.expiresAt, e.redelivered)
      this.windowBytes -= e.message.size
    }
  }

  /** Expiry of the entry shift() would return (Infinity when the window is empty). */
  windowHeadExpiresAt(): number {
    return this.window.headExpiresAt()
  }

  shift(): QueueEntry | undefined {
    const e = this.window.shift()
    if (e) this.windowBytes -= e.message.size
    if (this.window.length < WINDOW_LOW && this.pagedOut > 0) void this.pageIn()
    return e
  }

  restore(e: QueueEntry): void {
    this.window.restore(e)
    this.windowBytes += e.message.size
  }

  /** Expiry of the message that is next at the head, paged out or not. */
  headExpiresAt(): number {
    if (this.window.length > 0) return this.window.headExpiresAt()
    return this.inFlight[0]?.expiresAt ?? this.tail?.headExpiresAt() ?? Infinity
  }

  /** Empties everything: how many messages there were, and the store ids of those stored. */
  clear(): Drained {
    this.generation++
    const window = this.window.drain()
    const tail = this.tail?.clear() ?? new Float64Array(0)
    const storeIds = new Float64Array(window.storeIds.length + this.inFlight.length + tail.length)
    storeIds.set(window.storeIds)
    this.inFlight.forEach((t, k) => (storeIds[window.storeIds.length + k] = t.storeId))
    storeIds.set(tail, window.storeIds.length + this.inFlight.length)
    const count = window.count + this.inFlight.length + tail.length
    this.inFlight = []
    this.inFlightBytes = this.windowBytes = 0
    return { count, storeIds }
  }

  removeWhere(drop: (e: QueueEntry) => boolean): QueueEntry[] {
    const removed = this.window.removeWhere(drop)
    for (const e of removed) this.windowBytes -= e.message.size
    return removed
  }

  private pageInDone: Promise<void> | undefined

  /** Reads the next batch of paged-out messages into the window (one read per segment). */
  pageIn(): Promise<void> {
    if (this.pageInDone) return this.pageInDone
    const store = this.store
    if (!store || !this.tail || this.tail.length === 0) return Promise.resolve()
    const batch = this.tail.shift(PAGE_IN_BATCH)
    this.inFlight = batch
    this.inFlightBytes = batch.reduce((n, t) => n + t.size, 0)
    const generation = this.generation
    this.pageInDone = store
      .readBatch(batch.map((t) => t.storeId))
      .then(
        (stored) => {
          if (generation !== this.generation) return
          this.inFlight = []
          this.inFlightBytes = 0
          stored.forEach((m, k) => this.window.push(this.revived(batch[k] as TailEntry, m)))
        },
        (err: unknown) => {
          if (generation === this.generation) this.host.pageInFailed(err)
        },
      )
      .finally(() => {
        this.pageInDone = undefined
        this.host.pagedIn()
      })
    return this.pageInDone
  }

  private revived(t: TailEntry, m: PersistedMessage): QueueEntry {
    this.windowBytes += t.size
    return {
      message: this.host.revive(m),
      seq: t.seq,
      redelivered: t.redelivered,
      expiresAt: t.expiresAt,
      storeId: t.storeId,
    }
  }
}

/** The message's id in the store: its own when it was stored on publish, else appended now. */
function storedId(store: QueueStore, e: QueueEntry): number {
  // Transient messages are written too when paged out; recovery drops them (deliveryMode != 2).
  return e.storeId !== -1
    ? e.storeId
    : store.append(e.message, e.expiresAt === Infinity ? undefined : e.expiresAt)
}
