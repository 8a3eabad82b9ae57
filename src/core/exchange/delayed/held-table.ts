// The delayed exchange's held messages as a table of slots in typed arrays: a million held messages cost
// about 40 MB instead of an object each (over 100 bytes with its boxed due time). A slot has a due time,
// an arrival number (ties between equal due times leave in arrival order), the message's id in the store,
// the copies left in its series, and, sparsely, the message itself (while it is in memory) and a series'
// schedule. A slot is freed when its message leaves or is cancelled and may then be reused: whoever keeps
// a slot across an await keeps its arrival number too and checks it (`isHolding`).
import type { Message } from '../../message.js'
import type { Schedule } from './schedule.js'

/** The store id of a message kept only in memory. */
export const NOT_STORED = -1
/** `remaining` of a free slot. */
const FREE = -1

export class HeldTable {
  due = new Float64Array(1024)
  seq = new Float64Array(1024)
  storeId = new Float64Array(1024)
  /** Copies left after this one in its series; FREE for a free slot. */
  remaining = new Int32Array(1024).fill(FREE)
  /** Messages while they are in memory (bodies of stored messages far from due stay on disk): few. */
  private readonly messages = new Map<number, Message>()
  /** Schedules of series; a message delayed once has none (its x-delay header says it). */
  readonly schedule = new Map<number, Schedule>()
  private readonly free: number[] = []
  private used = 0

  /** Slots in use. */
  get count(): number {
    return this.used - this.free.length
  }

  add(
    due: number,
    seq: number,
    storeId: number,
    message: Message | undefined,
    schedule: Schedule | undefined,
    remaining: number,
  ): number {
    const slot = this.free.pop() ?? this.fresh()
    this.due[slot] = due
    this.seq[slot] = seq
    this.storeId[slot] = storeId
    this.remaining[slot] = remaining
    if (message) this.messages.set(slot, message)
    if (schedule) this.schedule.set(slot, schedule)
    return slot
  }

  /** Frees a slot (its message left or was cancelled). */
  remove(slot: number): void {
    if (this.remaining[slot] === FREE) return
    this.remaining[slot] = FREE
    this.messages.delete(slot)
    this.schedule.delete(slot)
    this.free.push(slot)
  }

  message(slot: number): Message | undefined {
    return this.messages.get(slot)
  }

  setMessage(slot: number, message: Message | undefined): void {
    if (message) this.messages.set(slot, message)
    else this.messages.delete(slot)
  }

  /** Whether `slot` still holds the message that arrived as number `seq`. */
  isHolding(slot: number, seq: number): boolean {
    return this.remaining[slot] !== FREE && this.seq[slot] === seq
  }

  /** Whether `a` leaves before `b`. */
  earlier(a: number, b: number): boolean {
    const da = this.due[a] as number
    const db = this.due[b] as number
    return da < db || (da === db && (this.seq[a] as number) < (this.seq[b] as number))
  }

  clear(): void {
    this.remaining.fill(FREE)
    this.messages.clear()
    this.schedule.clear()
    this.free.length = 0
    this.used = 0
  }

  private fresh(): number {
    if (this.used === this.due.length) this.grow(this.due.length * 2)
    return this.used++
  }

  private grow(size: number): void {
    const grown = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size)
      b.set(a)
      return b
    }
    this.due = grown(this.due, (n) => new Float64Array(n))
    this.seq = grown(this.seq, (n) => new Float64Array(n))
    this.storeId = grown(this.storeId, (n) => new Float64Array(n))
    this.remaining = grown(this.remaining, (n) => new Int32Array(n).fill(FREE))
  }
}

/** A binary min-heap of slots, earliest due first (then earliest arrival). */
export class SlotHeap {
  private items = new Int32Array(1024)
  private n = 0

  constructor(private readonly table: HeldTable) {}

  get size(): number {
    return this.n
  }

  peek(): number | undefined {
    return this.n > 0 ? this.items[0] : undefined
  }

  push(slot: number): void {
    if (this.n === this.items.length) {
      const grown = new Int32Array(this.items.length * 2)
      grown.set(this.items)
      this.items = grown
    }
    this.items[this.n] = slot
    this.siftUp(this.n++)
  }

  pop(): number | undefined {
    if (this.n === 0) return undefined
    const a = this.items
    const top = a[0] as number
    const last = a[--this.n] as number
    if (this.n > 0) this.siftDown(last)
    return top
  }

  /** Takes `slot` out wherever it is (a cancel): O(n) to find it, O(log n) to mend the heap. */
  delete(slot: number): boolean {
    const a = this.items
    let i = 0
    while (i < this.n && a[i] !== slot) i++
    if (i === this.n) return false
    const last = a[--this.n] as number
    if (i === this.n) return true
    a[i] = last
    this.siftDown(last, i)
    this.siftUp(i)
    return true
  }

  /** The first `limit` slots in due order, without disturbing the heap (a best-first walk from the root). */
  earliest(limit: number): number[] {
    const out: number[] = []
    const frontier = new SlotHeap(this.table)
    const at = new Map<number, number>()
    const see = (i: number): void => {
      if (i >= this.n) return
      const slot = this.items[i] as number
      at.set(slot, i)
      frontier.push(slot)
    }
    see(0)
    while (out.length < limit && frontier.size > 0) {
      const slot = frontier.pop() as number
      const i = at.get(slot) as number
      out.push(slot)
      see(2 * i + 1)
      see(2 * i + 2)
    }
    return out
  }

  /** Every slot, in heap order. */
  slots(): number[] {
    return Array.from(this.items.subarray(0, this.n))
  }

  clear(): void {
    this.n = 0
  }

  private siftDown(slot: number, from = 0): void {
    const a = this.items
    let i = from
    for (;;) {
      const l = 2 * i + 1
      if (l >= this.n) break
      const r = l + 1
      const child = r < this.n && this.table.earlier(a[r] as number, a[l] as number) ? r : l
      if (!this.table.earlier(a[child] as number, slot)) break
      a[i] = a[child] as number
      i = child
    }
    a[i] = slot
  }

  private siftUp(from: number): void {
    const a = this.items
    const slot = a[from] as number
    let i = from
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.table.earlier(slot, a[parent] as number)) break
      a[i] = a[parent] as number
      i = parent
    }
    a[i] = slot
  }
}
