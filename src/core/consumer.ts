// What a queue needs from a consumer. The AMQP channel implements it; tests may implement it directly.
import type { FieldTable } from '../shared/index.js'
import type { QueueEntry } from './message.js'
import type { Queue } from './queue-types/queue.js'

export interface Consumer {
  readonly tag: string
  readonly noAck: boolean
  readonly exclusive: boolean
  /** x-priority of basic.consume: higher-priority consumers are served first (default 0). */
  readonly priority: number
  /** The per-consumer prefetch in force when it was created (0: none), where the protocol has one. */
  readonly prefetch?: number
  /** The arguments of its basic.consume (x-stream-offset, ...). */
  readonly args?: FieldTable
  /** A prefetch limit shared by the channel's consumers (basic.qos global) is in force: quorum queues refuse it. */
  readonly globalQos?: boolean
  /** Identifies the channel the consumer lives on (for listings and exclusivity checks). */
  readonly owner: ConsumerOwner
  /** Whether it can take one more message now: prefetch, channel.flow and socket back-pressure. */
  canTake(): boolean
  /** Whether it cannot take messages because its connection's socket is full (credit flow, see Queue). */
  socketBound(): boolean
  /**
   * Hands one message over. In ack mode the entry stays unacked until settled through the queue. When
   * `wait` is given, the delivery must not leave the broker before it resolves (see Queue.handedOut).
   */
  deliver(queue: Queue, entry: QueueEntry, wait: Promise<void> | undefined): void
  /** The queue was deleted under the consumer: tell the client (basic.cancel). */
  cancelledByQueue(queue: Queue): void
}

export interface ConsumerOwner {
  readonly connectionId: number
}
