// The ready messages of a queue. A plain queue keeps one ring of entries; a priority queue
// (x-max-priority) keeps one ring per priority level and serves the highest level first. Both keep
// requeued entries at their original position (by sequence number) within their level.
import type { QueueEntry } from '../../message.js'
import { type Drained, EntryRing } from './entry-ring.js'

export interface MessageList {
  readonly length: number
  push(e: QueueEntry): void
  /** Expiry of the entry shift() would return, or Infinity when there is none. */
  headExpiresAt(): number
  shift(): QueueEntry | undefined
  /** Puts a requeued entry back where it was. */
  restore(e: QueueEntry): void
  /** Removes every entry, returning them in delivery order. */
  clear(): QueueEntry[]
  /** Removes every entry: how many, and the store ids of the stored ones (no object per entry). */
  drain(): Drained
  removeWhere(drop: (e: QueueEntry) => boolean): QueueEntry[]
  /** Removes the last n entries, in queue order (those that would be delivered last), for paging out. */
  popTail(n: number): QueueEntry[]
}

export class FifoList extends EntryRing implements MessageList {}

export class PriorityList implements MessageList {
  private readonly levels: FifoList[]
  private count = 0

  constructor(private readonly maxPriority: number) {
    this.levels = Array.from({ length: maxPriority + 1 }, () => new FifoList())
  }

  get length(): number {
    return this.count
  }

  /** RabbitMQ caps a message's priority at the queue's maximum; no priority counts as 0. */
  private level(e: QueueEntry): FifoList {
    const p = Math.min(e.message.properties.priority ?? 0, this.maxPriority)
    return this.levels[p] as FifoList
  }

  push(e: QueueEntry): void {
    this.level(e).push(e)
    this.count++
  }

  headExpiresAt(): number {
    for (let p = this.maxPriority; p >= 0; p--) {
      const level = this.levels[p] as FifoList
      if (level.length > 0) return level.headExpiresAt()
    }
    return Infinity
  }

  shift(): QueueEntry | undefined {
    for (let p = this.maxPriority; p >= 0; p--) {
      const e = (this.levels[p] as FifoList).shift()
      if (e) {
        this.count--
        return e
      }
    }
    return undefined
  }

  restore(e: QueueEntry): void {
    this.level(e).restore(e)
    this.count++
  }

  clear(): QueueEntry[] {
    const all: QueueEntry[] = []
    for (let p = this.maxPriority; p >= 0; p--) appendAll(all, (this.levels[p] as FifoList).clear())
    this.count = 0
    return all
  }

  drain(): Drained {
    const parts = this.levels.map((l) => l.drain())
    const ids = new Float64Array(parts.reduce((n, d) => n + d.storeIds.length, 0))
    let at = 0
    for (const d of parts) {
      ids.set(d.storeIds, at)
      at += d.storeIds.length
    }
    const count = this.count
    this.count = 0
    return { count, storeIds: ids }
  }

  removeWhere(drop: (e: QueueEntry) => boolean): QueueEntry[] {
    const out: QueueEntry[] = []
    for (const l of this.levels) appendAll(out, l.removeWhere(drop))
    this.count -= out.length
    return out
  }

  /**
   * Nothing: a priority queue never pages out, since a paged-out tail is read back in arrival order
   * while a priority queue must see every message to serve the highest priority first.
   */
  popTail(): QueueEntry[] {
    return []
  }
}

/** `to.push(...from)` without spreading: a purge can hand over more entries than a call takes arguments. */
function appendAll(to: QueueEntry[], from: readonly QueueEntry[]): void {
  for (let i = 0; i < from.length; i++) to.push(from[i] as QueueEntry)
}
