// A classic queue's counters: messages handed out and not yet acknowledged (count and bytes; the
// entries themselves live with the consuming channels) and the message rates the management API shows.
import type { QueueEntry } from '../../message.js'
import { MessageStats } from '../../stats.js'

export class QueueCounts {
  /** Message counters for the management API (see core/stats.ts). */
  readonly stats = new MessageStats()
  unacked = 0
  private unackedBytes = 0

  get unackedByteCount(): number {
    return Math.max(0, this.unackedBytes)
  }

  /** A basic.get took `entry` (or found the queue empty). */
  got(entry: QueueEntry | undefined, noAck: boolean): void {
    const s = this.stats
    if (!entry) {
      s.getEmpty++
      return
    }
    if (noAck) s.getNoAck++
    else {
      s.get++
      this.unackedBytes += entry.message.size
    }
    if (entry.redelivered) s.redeliver++
  }

  /** A consumer was handed `entry`. */
  delivered(entry: QueueEntry, noAck: boolean): void {
    const s = this.stats
    if (noAck) s.deliverNoAck++
    else {
      s.deliver++
      this.unackedBytes += entry.message.size
    }
    if (entry.redelivered) s.redeliver++
  }

  /** An unacked entry was acked, rejected or requeued: it is no longer outstanding. */
  released(entry: QueueEntry): void {
    this.unackedBytes -= entry.message.size
    if (this.unacked > 0) this.unacked--
  }
}
