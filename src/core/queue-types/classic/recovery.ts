// What a classic queue makes of a message read back from its store at startup.
import { Message, type QueueEntry } from '../../message.js'
import type { RecoveredMessage } from '../../ports.js'

/**
 * The entry for a recovered message at position `seq`, or undefined for a transient one: transient
 * messages reach the store only when paged out, and a restart drops them, as in RabbitMQ (unless the
 * queue keeps every message: a quorum queue).
 */
export function recoveredEntry(
  m: RecoveredMessage,
  seq: number,
  keepTransient = false,
): QueueEntry | undefined {
  if (m.properties.deliveryMode !== 2 && !keepTransient) return undefined
  return {
    message: new Message(m.exchange, m.routingKey, m.properties, m.body, m.rawProperties),
    seq,
    redelivered: m.delivered,
    // The expiry stored with it: a TTL keeps running across restarts, as in RabbitMQ.
    expiresAt: m.expiresAt ?? Infinity,
    storeId: m.id,
  }
}
