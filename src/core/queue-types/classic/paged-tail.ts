// The paged-out part of a long durable queue: for each message only what the queue needs to count,
// order and expire it (its store id, sequence number, size, expiry and redelivered flag), in typed
// arrays used as a ring. About 30 bytes a message instead of its objects and body: a queue of millions
// keeps only a window at its head in memory and reads the rest back from its store as consumers catch up.

export interface TailEntry {
  storeId: number
  seq: number
  size: number
  expiresAt: number
  redelivered: boolean
}

export class PagedTail {
  private ids = new Float64Array(1024)
  private seqs = new Float64Array(1024)
  private expiries = new Float64Array(1024)
  private sizes = new Uint32Array(1024)
  private flags = new Uint8Array(1024)
  private head = 0
  private count = 0
  bytes = 0

  get length(): number {
    return this.count
  }

  push(storeId: number, seq: number, size: number, expiresAt: number, redelivered: boolean): void {
    if (this.count === this.ids.length) this.grow()
    this.set((this.head + this.count) % this.ids.length, storeId, seq, size, expiresAt, redelivered)
  }

  /** Adds an entry before the head (window entries paged out go here, last one first). */
  unshift(storeId: number, seq: number, size: number, expiresAt: number, redelivered: boolean): void {
    if (this.count === this.ids.length) this.grow()
    this.head = (this.head - 1 + this.ids.length) % this.ids.length
    this.set(this.head, storeId, seq, size, expiresAt, redelivered)
  }

  private set(
    i: number,
    storeId: number,
    seq: number,
    size: number,
    expiresAt: number,
    redelivered: boolean,
  ): void {
    this.ids[i] = storeId
    this.seqs[i] = seq
    this.sizes[i] = size
    this.expiries[i] = expiresAt
    this.flags[i] = redelivered ? 1 : 0
    this.count++
    this.bytes += size
  }

  /** Expiry of the oldest entry, or Infinity. */
  headExpiresAt(): number {
    return this.count === 0 ? Infinity : (this.expiries[this.head] as number)
  }

  /** Removes and returns up to n entries from the head. */
  shift(n: number): TailEntry[] {
    const out: TailEntry[] = []
    const cap = this.ids.length
    for (let k = 0; k < n && this.count > 0; k++) {
      const i = this.head
      out.push({
        storeId: this.ids[i] as number,
        seq: this.seqs[i] as number,
        size: this.sizes[i] as number,
        expiresAt: this.expiries[i] as number,
        redelivered: this.flags[i] === 1,
      })
      this.bytes -= this.sizes[i] as number
      this.head = (i + 1) % cap
      this.count--
    }
    return out
  }

  /** Empties the tail; returns the store ids it held, in order (typed: a tail may hold millions). */
  clear(): Float64Array {
    const out = new Float64Array(this.count)
    for (let k = 0; k < this.count; k++) out[k] = this.ids[(this.head + k) % this.ids.length] as number
    this.ids = new Float64Array(1024)
    this.seqs = new Float64Array(1024)
    this.expiries = new Float64Array(1024)
    this.sizes = new Uint32Array(1024)
    this.flags = new Uint8Array(1024)
    this.head = this.count = this.bytes = 0
    return out
  }

  private grow(): void {
    const cap = this.ids.length * 2
    const move = <T extends Float64Array | Uint32Array | Uint8Array>(from: T, to: T): T => {
      for (let k = 0; k < this.count; k++) to[k] = from[(this.head + k) % from.length] as number
      return to
    }
    this.ids = move(this.ids, new Float64Array(cap))
    this.seqs = move(this.seqs, new Float64Array(cap))
    this.expiries = move(this.expiries, new Float64Array(cap))
    this.sizes = move(this.sizes, new Uint32Array(cap))
    this.flags = move(this.flags, new Uint8Array(cap))
    this.head = 0
  }
}
