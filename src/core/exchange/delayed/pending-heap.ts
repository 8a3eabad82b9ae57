// The delayed exchange's pending messages, earliest due first: a binary min-heap ordered by due time,
// then by arrival, so that messages due at the same millisecond leave in the order they came. One timer
// for the whole exchange is armed for the top entry; nothing per message but the entry itself. A
// cancelled entry stays where it is, marked, and is dropped when it reaches the top.
import type { Message } from '../../message.js'
import type { Schedule } from './schedule.js'

export interface PendingEntry {
  /** When it is due, in clock milliseconds. */
  readonly due: number
  /** Arrival order, breaking ties between equal due times. */
  readonly seq: number
  /** Its id in the exchange's store, or -1 when it is not stored (transient, or a non-durable exchange). */
  readonly storeId: number
  /** The message, until it is safely stored and far from due: then it is read back from the store. */
  message: Message | undefined
  readonly schedule: Schedule
  /** Copies left after this one in its series; -1 once it has left (a late read-back must not revive it). */
  remaining: number
  cancelled: boolean
}

export class PendingHeap {
  private readonly items: PendingEntry[] = []
  private cancelled = 0

  /** Entries not cancelled. */
  get size(): number {
    return this.items.length - this.cancelled
  }

  /** The earliest entry not cancelled. */
  peek(): PendingEntry | undefined {
    while (this.items[0]?.cancelled) {
      this.cancelled--
      this.popTop()
    }
    return this.items[0]
  }

  /** Marks an entry cancelled; it leaves the heap when it reaches the top. */
  cancel(e: PendingEntry): void {
    if (e.cancelled) return
    e.cancelled = true
    this.cancelled++
  }

  push(e: PendingEntry): void {
    const a = this.items
    a.push(e)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!earlier(e, a[parent] as PendingEntry)) break
      a[i] = a[parent] as PendingEntry
      i = parent
    }
    a[i] = e
  }

  pop(): PendingEntry | undefined {
    return this.peek() && this.popTop()
  }

  private popTop(): PendingEntry | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (top === undefined || last === undefined || a.length === 0) return top
    this.siftDown(last)
    return top
  }

  clear(): void {
    this.items.length = 0
    this.cancelled = 0
  }

  /**
   * The first `limit` entries in due order (due by `until`, and `want`ed), without disturbing the heap: a
   * walk from the root that always takes the earliest of the children seen so far, O(n log n) in the
   * entries walked however many the heap holds.
   */
  earliest(limit: number, until = Infinity, want: (e: PendingEntry) => boolean = () => true): PendingEntry[] {
    const a = this.items
    const out: PendingEntry[] = []
    const frontier = new PendingHeap()
    const index = new Map<PendingEntry, number>()
    const see = (i: number): void => {
      const e = a[i]
      if (e === undefined) return
      index.set(e, i)
      frontier.push(e)
    }
    see(0)
    while (out.length < limit && frontier.items.length > 0) {
      const e = frontier.popTop() as PendingEntry
      if (e.due > until) break
      const i = index.get(e) as number
      if (!e.cancelled && want(e)) out.push(e)
      see(2 * i + 1)
      see(2 * i + 2)
    }
    return out
  }

  /** Every entry not cancelled, in no particular order. */
  *values(): Iterable<PendingEntry> {
    for (const e of this.items) if (!e.cancelled) yield e
  }

  /** Puts `e` at the root and moves it down to its place. */
  private siftDown(e: PendingEntry): void {
    const a = this.items
    const n = a.length
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const child = r < n && earlier(a[r] as PendingEntry, a[l] as PendingEntry) ? r : l
      if (!earlier(a[child] as PendingEntry, e)) break
      a[i] = a[child] as PendingEntry
      i = child
    }
    a[i] = e
  }
}

function earlier(x: PendingEntry, y: PendingEntry): boolean {
  return x.due < y.due || (x.due === y.due && x.seq < y.seq)
}
