// The delayed exchange's pending messages, earliest due first: a binary min-heap ordered by due time,
// then by arrival, so that messages due at the same millisecond leave in the order they came. One timer
// for the whole exchange is armed for the top entry; nothing per message but the entry itself.
import type { Message } from '../../message.js'

export interface PendingEntry {
  /** When it is due, in clock milliseconds. */
  readonly due: number
  /** Arrival order, breaking ties between equal due times. */
  readonly seq: number
  /** Its id in the exchange's store, or -1 when it is not stored (transient, or a non-durable exchange). */
  readonly storeId: number
  /** The message, until it is safely stored and far from due: then it is read back from the store. */
  message: Message | undefined
}

export class PendingHeap {
  private readonly items: PendingEntry[] = []

  get size(): number {
    return this.items.length
  }

  peek(): PendingEntry | undefined {
    return this.items[0]
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
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (top === undefined || last === undefined || a.length === 0) return top
    this.siftDown(last)
    return top
  }

  clear(): void {
    this.items.length = 0
  }

  /** Every entry, in no particular order (listings). */
  values(): readonly PendingEntry[] {
    return this.items
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
