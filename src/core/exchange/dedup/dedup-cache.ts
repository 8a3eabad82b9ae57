// The cache of seen deduplication keys, shared by the deduplicating exchange and queue: at most
// `capacity` keys, the oldest evicted first when a new one needs room (the plugin evicts to make room
// too), each with an optional expiry. Nothing runs per key: an expired key is dropped when it is looked
// up, and one timer per cache sweeps the rest, at most once a second, so the size it reports stays true
// and the records of expired keys leave the store.
import type { Clock, TimerHandle } from '../../../shared/index.js'

export interface CacheEntry {
  readonly key: string
  /** Clock ms; Infinity for a key that never expires. */
  readonly expiresAt: number
  /** Its record in the owner's store; -1 while it has none (in memory only, or not stored yet). */
  storeId: number
}

/** A sweep runs at most this often, however many keys expire one after the other. */
const SWEEP_MIN_MS = 1000

export class DedupCache {
  private readonly entries = new Map<string, CacheEntry>()
  /**
   * Entries oldest first, from `head` on. A Map iterated from its start after many deletions walks their
   * holes (O(n) per eviction in V8), so the order is kept here; entries that left early stay until they
   * reach the head or a compaction.
   */
  private order: CacheEntry[] = []
  private head = 0
  private timer: TimerHandle | undefined
  private timerAt = Infinity
  private lastSweep = -Infinity
  private stopped = false

  constructor(
    readonly capacity: number,
    private readonly clock: Clock,
    /** A key left the cache (evicted, expired or cleared): its record, if any, goes too. */
    private readonly dropped: (e: CacheEntry) => void,
  ) {}

  get size(): number {
    return this.entries.size
  }

  /** The live entry of `key`; an expired one is dropped here. */
  get(key: string): CacheEntry | undefined {
    const e = this.entries.get(key)
    if (e === undefined || e.expiresAt === Infinity || e.expiresAt > this.clock.now()) return e
    this.drop(key, e)
    return undefined
  }

  /** Adds a key that get() did not find; the oldest key makes room when the cache is full. */
  add(key: string, expiresAt: number, storeId: number): CacheEntry {
    if (this.entries.size >= this.capacity) this.evictOldest()
    const e: CacheEntry = { key, expiresAt, storeId }
    this.entries.set(key, e)
    this.order.push(e)
    if (expiresAt < this.timerAt) this.arm(expiresAt)
    return e
  }

  /** Forgets a key (the queue's message with that key left it). */
  delete(key: string): void {
    const e = this.entries.get(key)
    if (e) this.drop(key, e)
  }

  /** Drops every key (a purge, or the owner's deletion when `stop`). */
  clear(stop: boolean): void {
    for (const e of this.entries.values()) this.dropped(e)
    this.entries.clear()
    this.order = []
    this.head = 0
    if (stop) this.stop()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  private evictOldest(): void {
    while (this.head < this.order.length) {
      const e = this.order[this.head++] as CacheEntry
      if (this.entries.get(e.key) === e) {
        this.drop(e.key, e)
        break
      }
    }
    this.compact()
  }

  /** Lets go of the entries before the head, and of those that left early once they are most. */
  private compact(): void {
    const n = this.order.length - this.head
    if (this.head > 4096 && this.head > n) {
      this.order = this.order.slice(this.head)
      this.head = 0
    } else if (n > 2 * this.capacity + 4096) {
      this.order = this.order.slice(this.head).filter((e) => this.entries.get(e.key) === e)
      this.head = 0
    }
  }

  private drop(key: string, e: CacheEntry): void {
    this.entries.delete(key)
    this.dropped(e)
  }

  private arm(due: number): void {
    const at = Math.max(due, this.lastSweep + SWEEP_MIN_MS)
    if (this.stopped || at >= this.timerAt) return
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timerAt = at
    this.timer = this.clock.setTimeout(() => this.sweep(), Math.max(0, at - this.clock.now()))
    this.timer.unref?.()
  }

  /** Drops every expired key and sets the timer for the next expiry. */
  private sweep(): void {
    this.timer = undefined
    this.timerAt = Infinity
    const now = this.clock.now()
    this.lastSweep = now
    let next = Infinity
    for (const [key, e] of this.entries) {
      if (e.expiresAt <= now) this.drop(key, e)
      else if (e.expiresAt < next) next = e.expiresAt
    }
    this.compact()
    if (next < Infinity) this.arm(next)
  }
}
