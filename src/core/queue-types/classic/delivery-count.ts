// The delivery count of a message in a queue with a delivery limit, kept where consumers read it: the
// `x-delivery-count` header (a long, as RabbitMQ's quorum queues send it). It is absent until the first
// return, so that a message never returned is delivered with the bytes its publisher sent, and it rides
// in the message itself, so that it is stored, paged and recovered with the message at no extra cost.
import { type FieldTable, fieldNumber, TypedValue } from '../../../shared/index.js'
import type { Message } from '../../message.js'
import type { RetryBackoff } from '../queue-settings.js'

export const DELIVERY_COUNT = 'x-delivery-count'
/** LavinMQ's bound on a single retry delay, whatever x-delayed-retry-max says: a u32 of milliseconds. */
const MAX_RETRY_DELAY = 2 ** 32 - 1

/** How many times the message was returned to this queue (0 before the first return). */
export function deliveryCountOf(m: Message): number {
  const h = m.properties.headers
  return h === undefined ? 0 : (fieldNumber(h[DELIVERY_COUNT]) ?? 0)
}

/** The message with its delivery count set to n (a copy: the original may be in other queues too). */
export function withDeliveryCount(m: Message, n: number): Message {
  const headers: FieldTable = { ...(m.properties.headers ?? {}), [DELIVERY_COUNT]: new TypedValue('l', n) }
  return m.with({ properties: { ...m.properties, headers } })
}

/**
 * The message without a publisher's x-delivery-count header: in a queue that counts deliveries the
 * header is the broker's (as in LavinMQ), so a message arriving there starts with a full budget.
 * Returns the same message, without allocating, when it has no such header: the usual case.
 */
export function withoutDeliveryCount(m: Message): Message {
  const h = m.properties.headers
  if (h === undefined || !Object.hasOwn(h, DELIVERY_COUNT)) return m
  const { [DELIVERY_COUNT]: _dropped, ...headers } = h
  return m.with({ properties: { ...m.properties, headers } })
}

/**
 * How long the n-th return (n >= 1) waits before the message is ready again: LavinMQ's backoff, linear
 * (`min * n`) without a multiplier, `min * multiplier^(n-1)` with one (1 is constant), capped by max.
 */
export function retryDelay(b: RetryBackoff, n: number): number {
  const raw = b.multiplier === undefined ? b.min * n : b.min * b.multiplier ** (n - 1)
  return Math.min(raw, b.max ?? Infinity, MAX_RETRY_DELAY)
}
