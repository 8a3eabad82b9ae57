// The message-deduplication plugin's queue argument, `x-message-deduplication: true`: a message whose
// `x-deduplication-header` value is the key of a message still in the queue (ready or unacked) is not
// enqueued; the key is free again once that message leaves for good (acked, dropped, expired,
// dead-lettered, purged). A queue without the argument has no QueueDedup and pays nothing.
// Keys are counted, not just kept: a crash can bring back two stored messages with one key (recovery
// keeps what the store has), and the key stays taken until both are gone.
import type { FieldTable } from '../../shared/index.js'
import { DEDUP_HEADER, dedupKey } from '../exchange/index.js'
import type { Message } from '../message.js'

export const QUEUE_DEDUP_ARG = 'x-message-deduplication'

export class QueueDedup {
  private readonly keys = new Map<string, number>()
  /** Duplicates not enqueued since the queue was declared (or the broker started). */
  deduplicated = 0

  /** Keys of messages in the queue (the management API's cache entries). */
  get size(): number {
    return this.keys.size
  }

  /** Takes the message's key; false for a duplicate, which must not be enqueued. */
  admit(msg: Message): boolean {
    const key = keyOf(msg)
    if (key === undefined) return true
    if (this.keys.has(key)) {
      this.deduplicated++
      return false
    }
    this.keys.set(key, 1)
    return true
  }

  /** A recovered message holds its key again, even a second time. */
  recovered(msg: Message): void {
    const key = keyOf(msg)
    if (key !== undefined) this.keys.set(key, (this.keys.get(key) ?? 0) + 1)
  }

  /** The message left the queue for good: its key is free once no other message holds it. */
  left(msg: Message): void {
    const key = keyOf(msg)
    if (key === undefined) return
    const n = this.keys.get(key)
    if (n === undefined) return
    if (n > 1) this.keys.set(key, n - 1)
    else this.keys.delete(key)
  }

  /** A purge frees every key, as the plugin's purge flushes its cache. */
  clear(): void {
    this.keys.clear()
  }
}

/**
 * Whether a queue deduplicates: its x-message-deduplication argument, else its policy's key of that name
 * (the plugin reads both since 0.6; the argument wins, so `false` keeps a policy from turning it on).
 */
export function wantsDeduplication(
  args: FieldTable,
  policy: Readonly<Record<string, unknown>> | undefined,
): boolean {
  const arg = args[QUEUE_DEDUP_ARG]
  return arg === undefined ? policy?.[QUEUE_DEDUP_ARG] === true : arg === true
}

function keyOf(msg: Message): string | undefined {
  const headers = msg.properties.headers
  return headers === undefined ? undefined : dedupKey(headers[DEDUP_HEADER])
}
