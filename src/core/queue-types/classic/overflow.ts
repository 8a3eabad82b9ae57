// A classic queue's length limits (x-max-length, x-max-length-bytes, by argument or policy) and message
// TTL, as RabbitMQ 3.10 applies them: reject-publish refuses at the door, drop-head drops the oldest
// ready messages, and a message's expiry is the smaller of the queue's TTL and its own.
import type { Message, QueueEntry } from '../../message.js'
import type { QueueSettings } from '../queue-settings.js'
import type { ReadyMessages } from './ready-messages.js'

/** Whether a publish would be refused by reject-publish overflow (checked before enqueueing). */
export function wouldRejectPublish(s: QueueSettings, ready: ReadyMessages, message: Message): boolean {
  if (s.overflow === 'drop-head') return false
  return (
    (s.maxLength !== undefined && ready.length >= s.maxLength) ||
    (s.maxLengthBytes !== undefined && ready.bytes + message.size > s.maxLengthBytes)
  )
}

/** drop-head: takes the oldest ready messages beyond the limits (to be dead-lettered as maxlen). */
export function dropOverLimit(s: QueueSettings, ready: ReadyMessages): QueueEntry[] | undefined {
  if (s.maxLength === undefined && s.maxLengthBytes === undefined) return undefined
  // A quorum queue's reject-publish lets one publish go over the limit: nothing is dropped for it.
  if (s.overflow !== 'drop-head') return undefined
  let dropped: QueueEntry[] | undefined
  while (
    ready.length > 0 &&
    ((s.maxLength !== undefined && ready.length > s.maxLength) ||
      (s.maxLengthBytes !== undefined && ready.bytes > s.maxLengthBytes))
  ) {
    const head = ready.shift()
    if (!head) {
      // A limit set by a policy on a queue whose head is paged out: read it back, then trim.
      void ready.pageIn()
      break
    }
    ;(dropped ??= []).push(head)
  }
  return dropped
}

/** The smaller of the queue's x-message-ttl and the message's expiration, as an absolute time. */
export function expiryFor(s: QueueSettings, message: Message, clock: { now(): number }): number {
  const queueTtl = s.messageTtl
  const msgTtl = message.ttl
  if (queueTtl === undefined && msgTtl === undefined) return Infinity
  // The clock is read only for a message that has a TTL.
  return clock.now() + Math.min(queueTtl ?? Infinity, msgTtl ?? Infinity)
}

/** Takes the messages at the head whose TTL has passed (to be dead-lettered as expired). */
export function takeExpired(ready: ReadyMessages, clock: { now(): number }): QueueEntry[] | undefined {
  let head = ready.windowHeadExpiresAt()
  // Runs once per delivery: the clock is read only when the head message has a TTL.
  if (head === Infinity) return undefined
  const now = clock.now()
  let expired: QueueEntry[] | undefined
  while (head <= now) {
    ;(expired ??= []).push(ready.shift() as QueueEntry)
    head = ready.windowHeadExpiresAt()
  }
  return expired
}
