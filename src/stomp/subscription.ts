// A SUBSCRIBE's consumer: what a queue sees of a STOMP subscription. `auto` takes messages without
// acknowledgements; `client` and `client-individual` keep each delivery unacknowledged until its ACK or
// NACK, at most `prefetch-count` at once (0: no limit), as RabbitMQ's per-consumer basic.qos.
import type { Consumer, ConsumerOwner, Queue, QueueEntry } from '../core/index.js'
import type { FieldTable } from '../shared/index.js'

export type AckMode = 'auto' | 'client' | 'client-individual'

/** What a subscription needs from its session. */
export interface SubscriptionHost extends ConsumerOwner {
  /** The socket can take more (back-pressure: a queue keeps its messages while it cannot). */
  canWrite(): boolean
  deliver(sub: Subscription, queue: Queue, entry: QueueEntry, wait: Promise<void> | undefined): void
  cancelled(sub: Subscription): void
}

export class Subscription implements Consumer {
  readonly exclusive = false
  readonly priority = 0
  readonly noAck: boolean
  /** For listings (management API): no consumer arguments. */
  readonly args: FieldTable = {}
  unacked = 0

  constructor(
    private readonly host: SubscriptionHost,
    /** The client's subscription id (the MESSAGE frames' subscription header). */
    readonly id: string,
    readonly queue: Queue,
    readonly ack: AckMode,
    readonly prefetch: number,
    /** A durable topic subscription's queue outlives it (UNSUBSCRIBE with durable:true deletes it). */
    readonly durable: boolean,
  ) {
    this.noAck = ack === 'auto'
  }

  get tag(): string {
    return `T_${this.id}`
  }

  get owner(): ConsumerOwner {
    return this.host
  }

  canTake(): boolean {
    if (!this.noAck && this.prefetch > 0 && this.unacked >= this.prefetch) return false
    return this.host.canWrite()
  }

  socketBound(): boolean {
    return !this.host.canWrite()
  }

  deliver(queue: Queue, entry: QueueEntry, wait: Promise<void> | undefined): void {
    if (!this.noAck) this.unacked++
    this.host.deliver(this, queue, entry, wait)
  }

  cancelledByQueue(): void {
    this.host.cancelled(this)
  }
}
