// A delayed exchange's held messages in due order: a heap for all of them, plus a short run of the ones due
// next, taken out of the heap in order so that their bodies can be read back from the store before they
// are due (the run is sorted; a message published later that is due earlier goes to the heap, and the next
// one out is always the earlier of the two heads). Taking one out of the heap costs O(log n) once, where
// looking ahead through the heap would cost a walk every time.
import { type PendingEntry, PendingHeap } from './pending-heap.js'

export class DueQueue {
  private readonly heap = new PendingHeap()
  /** Entries taken out of the heap, in due order, from `head` on. */
  private soon: PendingEntry[] = []
  private head = 0
  private soonCancelled = 0
  /** Body bytes held in memory by the run: read-ahead stops at a bound, whatever the message sizes. */
  private runBytes = 0

  get bytesAhead(): number {
    return this.runBytes
  }

  get size(): number {
    return this.heap.size + this.soon.length - this.head - this.soonCancelled
  }

  /** When the last entry taken ahead is due: every entry due before it is in the run or the heap's top. */
  get aheadUntil(): number {
    return this.head < this.soon.length ? (this.soon[this.soon.length - 1] as PendingEntry).due : -Infinity
  }

  push(e: PendingEntry): void {
    this.heap.push(e)
  }

  peek(): PendingEntry | undefined {
    this.skipCancelled()
    const a = this.soon[this.head]
    const b = this.heap.peek()
    if (!a) return b
    return !b || a.due < b.due || (a.due === b.due && a.seq < b.seq) ? a : b
  }

  pop(): PendingEntry | undefined {
    const next = this.peek()
    if (next === undefined) return undefined
    if (next === this.soon[this.head]) this.takeSoon()
    else this.heap.pop()
    return next
  }

  cancel(e: PendingEntry): void {
    if (e.cancelled) return
    if (this.inSoon(e)) {
      e.cancelled = true
      this.soonCancelled++
      this.runBytes -= e.message?.body.length ?? 0
    } else this.heap.cancel(e)
  }

  /**
   * Moves the entries due by `horizon` (at most `max` in the run) out of the heap into the run; returns
   * those moved, so that their bodies can be read ahead.
   */
  takeAhead(horizon: number, max: number, maxBytes: number): PendingEntry[] {
    const moved: PendingEntry[] = []
    for (let top = this.heap.peek(); top && top.due <= horizon && moved.length < max;) {
      if (top.due < this.aheadUntil || this.runBytes >= maxBytes) break // an earlier one leaves from the heap
      this.soon.push(this.heap.pop() as PendingEntry)
      this.runBytes += top.message?.body.length ?? 0
      moved.push(top)
      top = this.heap.peek()
    }
    return moved
  }

  /** A body read back for an entry of the run. */
  loaded(e: PendingEntry, body: PendingEntry['message']): void {
    if (e.message !== undefined || e.cancelled || e.remaining < 0 || body === undefined) return
    e.message = body
    this.runBytes += body.body.length
  }

  /** The first `limit` entries in due order (listings). */
  earliest(limit: number): PendingEntry[] {
    const fromSoon: PendingEntry[] = []
    for (let i = this.head; i < this.soon.length && fromSoon.length < limit; i++) {
      const e = this.soon[i] as PendingEntry
      if (!e.cancelled) fromSoon.push(e)
    }
    const merged = [...fromSoon, ...this.heap.earliest(limit)]
    merged.sort((x, y) => x.due - y.due || x.seq - y.seq)
    return merged.slice(0, limit)
  }

  *values(): Iterable<PendingEntry> {
    for (let i = this.head; i < this.soon.length; i++)
      if (!this.soon[i]?.cancelled) yield this.soon[i] as PendingEntry
    yield* this.heap.values()
  }

  clear(): void {
    this.heap.clear()
    this.runBytes = 0
    this.soon = []
    this.head = 0
    this.soonCancelled = 0
  }

  private inSoon(e: PendingEntry): boolean {
    for (let i = this.head; i < this.soon.length; i++) if (this.soon[i] === e) return true
    return false
  }

  private skipCancelled(): void {
    while (this.soon[this.head]?.cancelled) {
      this.soonCancelled--
      this.takeSoon()
    }
  }

  private takeSoon(): void {
    const e = this.soon[this.head] as PendingEntry
    if (!e.cancelled) this.runBytes -= e.message?.body.length ?? 0
    this.soon[this.head++] = undefined as unknown as PendingEntry
    if (this.head === this.soon.length) {
      this.soon = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.soon.length) {
      this.soon = this.soon.slice(this.head)
      this.head = 0
    }
  }
}
