// Messages leaving a classic queue as dead letters (expired, dropped by max-length, rejected). Their
// stored copies are removed only once the dead-lettered copies are durable, so that no crash loses them
// in between (a crash after both may leave the message in both queues: at least once, never lost).
import type { Message, QueueEntry } from '../../message.js'
import type { QueueStore } from '../../ports.js'
import type { DeadLetterReason } from '../queue.js'

/** What the moves need of their queue. */
export interface MovingQueue {
  isDeleted(): boolean
  /** Where the queue's messages are stored (its durable store, or its paging store). */
  backing(): QueueStore | undefined
  /**
   * Routes the messages to the dead-letter exchange; resolves once durable copies are flushed. With
   * `untaken`, adds the indexes of those no queue took (see keepsUntaken).
   */
  deadLetter(
    messages: readonly Message[],
    reason: DeadLetterReason,
    untaken?: number[],
  ): Promise<void> | undefined
  /**
   * At-least-once dead-lettering (a quorum queue's): messages no queue took stay with the queue, handed
   * to `keep`, rather than being dropped.
   */
  keepsUntaken(): boolean
  keep(entries: QueueEntry[], reason: DeadLetterReason): void
  /** An entry leaves the queue for good: its stored copy is dropped. */
  forget(entry: QueueEntry): void
  storeFailed(err: unknown, doing: string): void
}

export class DeadLetterMoves {
  private readonly moving = new Set<Promise<void>>()

  constructor(private readonly queue: MovingQueue) {}

  move(all: readonly QueueEntry[], reason: DeadLetterReason): void {
    const q = this.queue
    const untaken: number[] | undefined = q.keepsUntaken() ? [] : undefined
    const copied = q.deadLetter(all.map(messageOf), reason, untaken)
    const entries = untaken && untaken.length > 0 ? this.keepUntaken(all, untaken, reason) : all
    if (!copied) {
      for (const e of entries) q.forget(e)
      return
    }
    const store = q.backing()
    const ids = entries.filter((e) => e.storeId !== -1).map((e) => e.storeId)
    if (!store || ids.length === 0) return
    const moved = copied
      .then(() => {
        if (!q.isDeleted()) for (const id of ids) store.remove(id) // a deleted queue dropped its store
      })
      .catch((err: unknown) => q.storeFailed(err, 'dead-lettering (the originals are kept)'))
      .finally(() => this.moving.delete(moved))
    this.moving.add(moved)
  }

  private keepUntaken(all: readonly QueueEntry[], untaken: number[], reason: DeadLetterReason): QueueEntry[] {
    const kept = new Set(untaken)
    this.queue.keep(
      untaken.map((i) => all[i] as QueueEntry),
      reason,
    )
    return all.filter((_, i) => !kept.has(i))
  }

  /** Resolves once every message moving to a dead-letter queue has left the queue's store. */
  async settled(): Promise<void> {
    while (this.moving.size > 0) await Promise.all([...this.moving])
  }
}

const messageOf = (e: QueueEntry): Message => e.message
