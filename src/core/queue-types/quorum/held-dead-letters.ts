// At-least-once dead-lettering (x-dead-letter-strategy at-least-once, with reject-publish overflow and a
// dead-letter exchange): a dead letter that no queue took (the exchange is missing, nothing is bound, or
// the target refused it) stays with its quorum queue instead of being dropped, and is routed again every
// 180 s (RabbitMQ 3.10's dead_letter_worker_publisher_confirm_timeout). Held messages are neither ready
// nor unacked, but they count against the queue's length limits, as in rabbit_fifo. They keep their
// stored copies: a restart brings them back as ready messages (RabbitMQ would keep holding them).
import type { Clock, TimerHandle } from '../../../shared/index.js'
import type { QueueEntry } from '../../message.js'
import type { DeadLetterReason } from '../queue.js'

export const DEAD_LETTER_RETRY_MS = 180_000

interface Held {
  readonly entry: QueueEntry
  readonly reason: DeadLetterReason
}

export class HeldDeadLetters {
  private held: Held[] = []
  private heldBytes = 0
  private timer: TimerHandle | undefined

  constructor(
    private readonly clock: Clock,
    /** Routes them again (those still untaken come back through hold). */
    private readonly retry: (entries: QueueEntry[], reason: DeadLetterReason) => void,
  ) {}

  get count(): number {
    return this.held.length
  }

  get bytes(): number {
    return this.heldBytes
  }

  hold(entries: readonly QueueEntry[], reason: DeadLetterReason): void {
    for (const entry of entries) {
      this.held.push({ entry, reason })
      this.heldBytes += entry.message.size
    }
    if (!this.timer && this.held.length > 0) {
      this.timer = this.clock.setTimeout(() => this.retryAll(), DEAD_LETTER_RETRY_MS)
      this.timer.unref?.()
    }
  }

  /** The queue is deleted or the broker stops: no retry may run after. */
  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  clear(): void {
    this.stop()
    this.held = []
    this.heldBytes = 0
  }

  private retryAll(): void {
    this.timer = undefined
    const batch = this.held
    this.held = []
    this.heldBytes = 0
    for (const reason of new Set(batch.map((h) => h.reason))) {
      this.retry(
        batch.filter((h) => h.reason === reason).map((h) => h.entry),
        reason,
      )
    }
  }
}
