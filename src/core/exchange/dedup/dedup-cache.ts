// The cache of seen deduplication keys of a deduplicating exchange: at most `capacity` keys, the oldest
// evicted first when a new one needs room (the plugin evicts to make room too), each with an optional
// expiry. Keys sit in slots (a slot freed by a key that left is reused) and the insertion order is a
// ring of slot numbers, each stamped with its slot's generation so that an entry of a key that already
// left is skipped. Nothing is allocated per key (typed arrays, an open-addressing index: key-table.ts),
// and nothing runs
// per key: an expired key is dropped when it is looked up, and one timer per cache sweeps the rest, at
// most once a second, so the size it reports stays true and stored keys of expired ones can go.
import type { Clock, TimerHandle } from '../../../shared/index.js'
import { KeyTable, keyHash } from './key-table.js'

/** A sweep runs at most this often, however many keys expire one after the other. */
const SWEEP_MIN_MS = 1000
/** Slots allocated at first; the arrays double up to the capacity as keys arrive. */
const FIRST_SLOTS = 1024

export class DedupCache<Tag> {
  private keys: (string | undefined)[]
  private hashes: Int32Array
  private expires: Float64Array
  /** What the owner attaches to a slot (where the key is stored). */
  private tags: (Tag | undefined)[]
  /** Bumped when a slot's key leaves: order entries of older generations are stale. */
  private gens: Int32Array
  private readonly table: KeyTable
  private allocated: number
  /** Slots ever handed out; freed ones wait in `free` for reuse. */
  private used = 0
  private free: Int32Array
  private freeTop = 0
  private count = 0
  /** Insertion order: a ring of (slot, generation), oldest at `head`; compacted when it fills up. */
  private orderSlots: Int32Array
  private orderGens: Int32Array
  private head = 0
  private queued = 0
  private timer: TimerHandle | undefined
  private timerAt = Infinity
  private lastSweep = -Infinity
  private stopped = false

  constructor(
    readonly capacity: number,
    private readonly clock: Clock,
    /** A key leaves the cache (evicted, expired, deleted or cleared); its slot still holds it. */
    private readonly dropped: (slot: number) => void,
  ) {
    this.allocated = Math.min(capacity, FIRST_SLOTS)
    this.keys = new Array<string | undefined>(this.allocated).fill(undefined)
    this.hashes = new Int32Array(this.allocated)
    this.expires = new Float64Array(this.allocated)
    this.tags = new Array<Tag | undefined>(this.allocated).fill(undefined)
    this.gens = new Int32Array(this.allocated)
    this.free = new Int32Array(this.allocated)
    this.orderSlots = new Int32Array(this.allocated * 2)
    this.orderGens = new Int32Array(this.allocated * 2)
    this.table = new KeyTable(this.allocated, this.keys, () => this.hashes)
  }

  get size(): number {
    return this.count
  }

  /** The slot of `key` while it is live, else -1; an expired key is dropped here. */
  find(key: string): number {
    const slot = this.table.find(key, keyHash(key))
    if (slot < 0) return -1
    const at = this.expires[slot] as number
    if (at === Infinity || at > this.clock.now()) return slot
    this.drop(slot)
    return -1
  }

  /** Adds a key that find() did not find; when the cache is full its oldest key makes room. */
  add(key: string, expiresAt: number): number {
    if (this.count >= this.capacity) this.evictOldest()
    const slot = this.takeSlot()
    const hash = keyHash(key)
    this.keys[slot] = key
    this.hashes[slot] = hash
    this.expires[slot] = expiresAt
    this.table.insert(slot, hash)
    this.count++
    this.enqueue(slot)
    if (expiresAt < this.timerAt) this.arm(expiresAt)
    return slot
  }

  /** Forgets a key, if the cache has it. */
  delete(key: string): void {
    const slot = this.table.find(key, keyHash(key))
    if (slot >= 0) this.drop(slot)
  }

  keyAt(slot: number): string | undefined {
    return this.keys[slot]
  }

  expiresAt(slot: number): number {
    return this.expires[slot] as number
  }

  tagOf(slot: number): Tag | undefined {
    return this.tags[slot]
  }

  setTag(slot: number, tag: Tag | undefined): void {
    this.tags[slot] = tag
  }

  /** Drops every key (the owner's deletion when `stop`). */
  clear(stop: boolean): void {
    for (let s = 0; s < this.allocated; s++) if (this.keys[s] !== undefined) this.dropped(s)
    this.keys.fill(undefined)
    this.tags.fill(undefined)
    this.table.clear()
    this.count = 0
    this.used = 0
    this.freeTop = 0
    this.head = 0
    this.queued = 0
    if (stop) this.stop()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  private drop(slot: number): void {
    this.dropped(slot)
    this.table.remove(slot, this.hashes[slot] as number)
    this.keys[slot] = undefined
    this.tags[slot] = undefined
    this.gens[slot] = ((this.gens[slot] as number) + 1) | 0
    this.free[this.freeTop++] = slot
    this.count--
  }

  private takeSlot(): number {
    if (this.freeTop > 0) return this.free[--this.freeTop] as number
    if (this.used === this.allocated) this.grow()
    return this.used++
  }

  private evictOldest(): void {
    const ring = this.orderSlots.length
    while (this.queued > 0) {
      const slot = this.orderSlots[this.head] as number
      const gen = this.orderGens[this.head] as number
      this.head = this.head + 1 === ring ? 0 : this.head + 1
      this.queued--
      if (this.gens[slot] === gen && this.keys[slot] !== undefined) return this.drop(slot)
    }
  }

  private enqueue(slot: number): void {
    if (this.queued === this.orderSlots.length) this.compactOrder()
    const ring = this.orderSlots.length
    let at = this.head + this.queued
    if (at >= ring) at -= ring
    this.orderSlots[at] = slot
    this.orderGens[at] = this.gens[slot] as number
    this.queued++
  }

  /** The order ring is full: stale entries go (at least half are, as it holds twice the slots). */
  private compactOrder(): void {
    const ring = this.orderSlots.length
    const size = Math.max(ring, this.allocated * 2)
    const slots = new Int32Array(size)
    const gens = new Int32Array(size)
    let n = 0
    for (let i = 0, at = this.head; i < this.queued; i++, at = at + 1 === ring ? 0 : at + 1) {
      const slot = this.orderSlots[at] as number
      const gen = this.orderGens[at] as number
      if (this.gens[slot] !== gen || this.keys[slot] === undefined) continue
      slots[n] = slot
      gens[n++] = gen
    }
    this.orderSlots = slots
    this.orderGens = gens
    this.head = 0
    this.queued = n
  }

  /** Doubles the slots (up to the capacity); the index is rebuilt for the new size. */
  private grow(): void {
    const size = Math.min(this.capacity, this.allocated * 2)
    const hashes = new Int32Array(size)
    hashes.set(this.hashes)
    const expires = new Float64Array(size)
    expires.set(this.expires)
    const gens = new Int32Array(size)
    gens.set(this.gens)
    const free = new Int32Array(size)
    free.set(this.free)
    this.gens = gens
    this.free = free
    for (let s = this.allocated; s < size; s++) {
      this.keys.push(undefined)
      this.tags.push(undefined)
    }
    this.hashes = hashes
    this.expires = expires
    this.allocated = size
    this.table.rebuild(size, (s) => this.keys[s] !== undefined)
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
    for (let s = 0; s < this.used; s++) {
      if (this.keys[s] === undefined) continue
      const at = this.expires[s] as number
      if (at <= now) this.drop(s)
      else if (at < next) next = at
    }
    if (next < Infinity) this.arm(next)
  }
}
