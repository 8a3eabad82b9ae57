// The ready messages of a queue: an in-memory window at the head (a FIFO or priority list of full
// entries) and, for a long durable queue, a paged-out tail that holds only store ids (PagedTail). Once
// the window holds WINDOW_MAX messages, later messages go to the tail and their bodies are dropped from
// memory (they are in the queue's store); when the window runs low, the next batch is read back.
import type { Message, QueueEntry } from '../message.js'
import type { PersistedMessage, QueueStore } from '../ports.js'
import type { MessageList } from './message-list.js'
import { PagedTail, type TailEntry } from './paged-tail.js'

/** Messages kept in memory at the head of a paging queue. */
export const WINDOW_MAX = 4096
/** Below this many in the window, the next batch is read back from the store. */
const WINDOW_LOW = 1024
const PAGE_IN_BATCH = 2048

export interface ReadyHost {
  /** The queue's store, when it has one and paging is allowed for it. */
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
    const store = this.host.pagingStore()
    if (store && (this.pagedOut > 0 || this.window.length >= WINDOW_MAX)) {
      // Transient messages are written too when paged out; recovery drops them (deliveryMode != 2).
      const id =
        e.storeId !== -1
          ? e.storeId
          : store.append(e.message, e.expiresAt === Infinity ? undefined : e.expiresAt)
      this.tail ??= new PagedTail()
      this.tail.push(id, e.seq, e.message.size, e.expiresAt, e.redelivered)
      return
    }
    this.window.push(e)
    this.windowBytes += e.message.size
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

  /** Empties everything: the in-memory entries, and the store ids of what was paged out. */
  clear(): { entries: QueueEntry[]; storeIds: number[] } {
    this.generation++
    const entries = this.window.clear()
    const storeIds = [...this.inFlight.map((t) => t.storeId), ...(this.tail?.clear() ?? [])]
    this.inFlight = []
    this.inFlightBytes = this.windowBytes = 0
    return { entries, storeIds }
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
    const store = this.host.pagingStore()
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
