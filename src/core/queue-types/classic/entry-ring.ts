// The in-memory ready messages of one queue (or one priority level) as a ring of parallel arrays: the
// message reference in one array, sequence number, expiry and store id in typed arrays, the redelivered
// flag in a byte array. A queued message thus costs this queue ~33 bytes instead of an entry object (~80
// bytes with its boxed expiry); the QueueEntry object is made when the message leaves the ring (delivered,
// requeue bookkeeping, purge), i.e. only for messages in flight. Requeued entries go back to their
// original position by sequence number.
import type { Message, QueueEntry } from '../../message.js'

/** What emptying a list gives back: how many entries it held, and the store ids of the stored ones. */
export interface Drained {
  count: number
  storeIds: Float64Array
}

const INITIAL_CAPACITY = 16
/** Rings at least this large shrink when they are mostly empty. */
const SHRINK_FROM = 4096

export class EntryRing {
  private messages: (Message | undefined)[] = new Array<Message | undefined>(INITIAL_CAPACITY)
  private seqs = new Float64Array(INITIAL_CAPACITY)
  private expiries = new Float64Array(INITIAL_CAPACITY)
  private storeIds = new Float64Array(INITIAL_CAPACITY)
  private redelivered = new Uint8Array(INITIAL_CAPACITY)
  /** Capacity - 1; the capacity is a power of two. */
  private mask = INITIAL_CAPACITY - 1
  private head = 0
  private count = 0

  get length(): number {
    return this.count
  }

  push(e: QueueEntry): void {
    if (this.count === this.mask + 1) this.resize((this.mask + 1) * 2)
    this.write((this.head + this.count) & this.mask, e)
    this.count++
  }

  /** Expiry of the head entry, or Infinity when empty: checked on every take, so no object is made. */
  headExpiresAt(): number {
    return this.count === 0 ? Infinity : (this.expiries[this.head] as number)
  }

  shift(): QueueEntry | undefined {
    if (this.count === 0) return undefined
    const e = this.entryAt(this.head)
    this.messages[this.head] = undefined
    this.head = (this.head + 1) & this.mask
    this.count--
    // Give memory back once a long queue has drained.
    if (this.mask >= SHRINK_FROM && this.count < (this.mask + 1) >>> 3) this.resize((this.mask + 1) >>> 2)
    return e
  }

  /** Removes the last n entries (all when fewer), returning them in queue order. */
  popTail(n: number): QueueEntry[] {
    const take = Math.min(n, this.count)
    const out: QueueEntry[] = new Array<QueueEntry>(take)
    const from = this.count - take
    for (let k = 0; k < take; k++) {
      const i = (this.head + from + k) & this.mask
      out[k] = this.entryAt(i)
      this.messages[i] = undefined
    }
    this.count = from
    if (this.mask >= SHRINK_FROM && this.count < (this.mask + 1) >>> 3) this.resize((this.mask + 1) >>> 2)
    return out
  }

  /** Puts a requeued entry back at its place by sequence number (usually the front). */
  restore(e: QueueEntry): void {
    if (this.count === this.mask + 1) this.resize((this.mask + 1) * 2)
    if (this.count === 0 || e.seq <= (this.seqs[this.head] as number)) {
      this.head = (this.head - 1) & this.mask
      this.write(this.head, e)
      this.count++
      return
    }
    // Binary search for the first entry with a larger sequence number, then shift the tail by one.
    let lo = 0
    let hi = this.count
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.seqs[(this.head + mid) & this.mask] as number) < e.seq) lo = mid + 1
      else hi = mid
    }
    for (let i = this.count; i > lo; i--)
      this.move((this.head + i - 1) & this.mask, (this.head + i) & this.mask)
    this.write((this.head + lo) & this.mask, e)
    this.count++
  }

  /** Removes everything, returning the entries in order. */
  clear(): QueueEntry[] {
    const all = this.toArray()
    this.reset()
    return all
  }

  /**
   * Removes everything, returning how many entries there were and the store ids of those stored, in
   * order: no object per entry, so a purge of millions does not fill the heap.
   */
  drain(): Drained {
    const ids = new Float64Array(this.count)
    let n = 0
    for (let k = 0; k < this.count; k++) {
      const id = this.storeIds[(this.head + k) & this.mask] as number
      if (id !== -1) ids[n++] = id
    }
    const count = this.count
    this.reset()
    return { count, storeIds: ids.subarray(0, n) }
  }

  /** Removes the entries for which drop() is true, keeping order; returns them. */
  removeWhere(drop: (e: QueueEntry) => boolean): QueueEntry[] {
    const removed: QueueEntry[] = []
    let kept = 0
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & this.mask
      const e = this.entryAt(from)
      if (drop(e)) removed.push(e)
      else this.move(from, (this.head + kept++) & this.mask)
    }
    for (let i = kept; i < this.count; i++) this.messages[(this.head + i) & this.mask] = undefined
    this.count = kept
    return removed
  }

  toArray(): QueueEntry[] {
    const out: QueueEntry[] = new Array<QueueEntry>(this.count)
    for (let i = 0; i < this.count; i++) out[i] = this.entryAt((this.head + i) & this.mask)
    return out
  }

  private entryAt(i: number): QueueEntry {
    return {
      message: this.messages[i] as Message,
      seq: this.seqs[i] as number,
      redelivered: this.redelivered[i] === 1,
      expiresAt: this.expiries[i] as number,
      storeId: this.storeIds[i] as number,
    }
  }

  private write(i: number, e: QueueEntry): void {
    this.messages[i] = e.message
    this.seqs[i] = e.seq
    this.expiries[i] = e.expiresAt
    this.storeIds[i] = e.storeId
    this.redelivered[i] = e.redelivered ? 1 : 0
  }

  private move(from: number, to: number): void {
    if (from === to) return
    this.messages[to] = this.messages[from]
    this.seqs[to] = this.seqs[from] as number
    this.expiries[to] = this.expiries[from] as number
    this.storeIds[to] = this.storeIds[from] as number
    this.redelivered[to] = this.redelivered[from] as number
  }

  /** Moves the entries, in order, to arrays of `cap` slots (cap >= count, a power of two). */
  private resize(cap: number): void {
    const messages = new Array<Message | undefined>(cap)
    const seqs = new Float64Array(cap)
    const expiries = new Float64Array(cap)
    const storeIds = new Float64Array(cap)
    const redelivered = new Uint8Array(cap)
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask
      messages[k] = this.messages[i]
      seqs[k] = this.seqs[i] as number
      expiries[k] = this.expiries[i] as number
      storeIds[k] = this.storeIds[i] as number
      redelivered[k] = this.redelivered[i] as number
    }
    this.messages = messages
    this.seqs = seqs
    this.expiries = expiries
    this.storeIds = storeIds
    this.redelivered = redelivered
    this.mask = cap - 1
    this.head = 0
  }

  /** Back to the initial capacity, so a purged queue gives its memory back. */
  private reset(): void {
    this.messages = new Array<Message | undefined>(INITIAL_CAPACITY)
    this.seqs = new Float64Array(INITIAL_CAPACITY)
    this.expiries = new Float64Array(INITIAL_CAPACITY)
    this.storeIds = new Float64Array(INITIAL_CAPACITY)
    this.redelivered = new Uint8Array(INITIAL_CAPACITY)
    this.mask = INITIAL_CAPACITY - 1
    this.head = 0
    this.count = 0
  }
}
