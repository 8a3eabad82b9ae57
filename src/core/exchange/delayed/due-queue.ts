// A delayed exchange's held messages in due order: a heap of all of them, plus a short run of the ones due
// next, taken out of the heap in order so that their bodies can be read back from the store before they
// are due (the run is sorted; a message published later that is due earlier goes to the heap, and the next
// one out is always the earlier of the two heads). Taking one out of the heap costs O(log n) once, where
// looking ahead through the heap would cost a walk every time. Entries are slots of a HeldTable.
import { HeldTable, SlotHeap } from './held-table.js'

export class DueQueue {
  readonly table = new HeldTable()
  private readonly heap = new SlotHeap(this.table)
  /** Slots taken out of the heap, in due order, from `head` on. */
  private run: number[] = []
  private head = 0
  /** Body bytes held in memory by the run: read-ahead stops at a bound, whatever the message sizes. */
  private runBytes = 0

  get size(): number {
    return this.heap.size + this.run.length - this.head
  }

  /** When the last slot of the run is due; -Infinity when the run is empty. */
  get aheadUntil(): number {
    return this.head < this.run.length
      ? (this.table.due[this.run[this.run.length - 1] as number] as number)
      : -Infinity
  }

  push(slot: number): void {
    this.heap.push(slot)
  }

  peek(): number | undefined {
    const a = this.head < this.run.length ? this.run[this.head] : undefined
    const b = this.heap.peek()
    if (a === undefined) return b
    return b === undefined || this.table.earlier(a, b) ? a : b
  }

  /** Takes the next slot out (it stays allocated: the caller frees it). */
  pop(): number | undefined {
    const next = this.peek()
    if (next === undefined) return undefined
    if (this.head < this.run.length && next === this.run[this.head]) this.takeFromRun()
    else this.heap.pop()
    return next
  }

  /** Takes a slot out wherever it is (a cancel); false when it is not held. */
  delete(slot: number): boolean {
    const i = this.run.indexOf(slot, this.head)
    if (i < 0) return this.heap.delete(slot)
    this.runBytes -= this.table.message(slot)?.body.length ?? 0
    this.run.splice(i, 1)
    return true
  }

  /**
   * Moves the slots due by `horizon` (at most `max`, while the run's bodies stay under `maxBytes`) out of
   * the heap into the run; returns those moved, so that their bodies can be read ahead.
   */
  takeAhead(horizon: number, max: number, maxBytes: number): number[] {
    const moved: number[] = []
    const due = this.table.due
    for (let top = this.heap.peek(); top !== undefined && (due[top] as number) <= horizon;) {
      // One due before the run's tail leaves from the heap; stop there, as at the bounds.
      if (moved.length >= max || (due[top] as number) < this.aheadUntil || this.runBytes >= maxBytes) break
      this.run.push(this.heap.pop() as number)
      this.runBytes += this.table.message(top)?.body.length ?? 0
      moved.push(top)
      top = this.heap.peek()
    }
    return moved
  }

  /** A body read back for a slot of the run (still holding arrival `seq`). */
  loaded(slot: number, seq: number, body: ReturnType<HeldTable['message']>): void {
    if (body === undefined || !this.table.isHolding(slot, seq) || this.table.message(slot) !== undefined)
      return
    this.table.setMessage(slot, body)
    this.runBytes += body.body.length
  }

  /** The first `limit` slots in due order (listings). */
  earliest(limit: number): number[] {
    const merged = [...this.run.slice(this.head, this.head + limit), ...this.heap.earliest(limit)]
    merged.sort((a, b) => (this.table.earlier(a, b) ? -1 : 1))
    return merged.slice(0, limit)
  }

  /** Every held slot, in no particular order. */
  slots(): number[] {
    return [...this.run.slice(this.head), ...this.heap.slots()]
  }

  clear(): void {
    this.heap.clear()
    this.table.clear()
    this.run = []
    this.head = 0
    this.runBytes = 0
  }

  private takeFromRun(): void {
    const slot = this.run[this.head++] as number
    this.runBytes -= this.table.message(slot)?.body.length ?? 0
    if (this.head === this.run.length) {
      this.run = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.run.length) {
      this.run = this.run.slice(this.head)
      this.head = 0
    }
  }
}
