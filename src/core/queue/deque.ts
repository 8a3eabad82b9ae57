// A growable ring buffer of queue entries: O(1) push, shift and unshift without per-operation
// allocation, plus sorted insertion for the rare requeue that lands in the middle.

export class Deque<T> {
  private items: (T | undefined)[]
  private head = 0
  private count = 0

  constructor(capacity = 16) {
    this.items = new Array<T | undefined>(capacity)
  }

  get length(): number {
    return this.count
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head]
  }

  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined
    return this.items[(this.head + i) % this.items.length]
  }

  push(v: T): void {
    if (this.count === this.items.length) this.grow()
    this.items[(this.head + this.count) % this.items.length] = v
    this.count++
  }

  unshift(v: T): void {
    if (this.count === this.items.length) this.grow()
    this.head = (this.head - 1 + this.items.length) % this.items.length
    this.items[this.head] = v
    this.count++
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined
    const v = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) % this.items.length
    this.count--
    return v
  }

  pop(): T | undefined {
    if (this.count === 0) return undefined
    const i = (this.head + this.count - 1) % this.items.length
    const v = this.items[i]
    this.items[i] = undefined
    this.count--
    return v
  }

  /** Inserts keeping ascending order of key(), assuming the deque is sorted by it. */
  insertSorted(v: T, key: (x: T) => number): void {
    const k = key(v)
    const first = this.peek()
    if (first === undefined || k <= key(first)) return this.unshift(v)
    const last = this.at(this.count - 1) as T
    if (k >= key(last)) return this.push(v)
    const all = this.toArray()
    let lo = 0
    let hi = all.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (key(all[mid] as T) < k) lo = mid + 1
      else hi = mid
    }
    all.splice(lo, 0, v)
    this.reset(all)
  }

  /** Removes the entries for which drop() is true, keeping order; returns them. */
  removeWhere(drop: (x: T) => boolean): T[] {
    const kept: T[] = []
    const removed: T[] = []
    for (const x of this.toArray()) (drop(x) ? removed : kept).push(x)
    if (removed.length > 0) this.reset(kept)
    return removed
  }

  clear(): T[] {
    const all = this.toArray()
    this.reset([])
    return all
  }

  toArray(): T[] {
    const out: T[] = new Array<T>(this.count)
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.head + i) % this.items.length] as T
    return out
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) % this.items.length] as T
  }

  private reset(all: T[]): void {
    let cap = 16
    while (cap < all.length) cap *= 2
    this.items = new Array<T | undefined>(cap)
    for (let i = 0; i < all.length; i++) this.items[i] = all[i]
    this.head = 0
    this.count = all.length
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2)
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length]
    this.items = next
    this.head = 0
  }
}
