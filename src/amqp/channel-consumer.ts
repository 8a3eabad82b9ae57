// A consumer living on a channel: what the queue sees of a basic.consume (Consumer), backed by its channel.
import type { Consumer, ConsumerOwner, Queue, QueueEntry } from '../core/index.js'
import { encodeShortString } from '../protocol/index.js'
import { type FieldTable, fieldNumber } from '../shared/index.js'
import type { Channel } from './channel.js'

export class ChannelConsumer implements Consumer {
  unacked = 0
  readonly priority: number
  /** The channel's global prefetch limits it (not on a quorum queue). */
  readonly underGlobalQos: boolean
  /** The tag as written in every basic.deliver. */
  readonly tagBytes: Buffer
  constructor(
    readonly channel: Channel,
    readonly queue: Queue,
    readonly tag: string,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    /** Per-consumer prefetch limit in force when it was created (0: none). */
    readonly prefetch: number,
    readonly args: FieldTable,
  ) {
    this.priority = fieldNumber(args['x-priority']) ?? 0
    this.underGlobalQos = queue.supportsGlobalQos
    this.tagBytes = encodeShortString(tag)
  }
  get globalQos(): boolean {
    return this.channel.globalPrefetch > 0
  }
  get owner(): ConsumerOwner {
    return this.channel
  }
  canTake(): boolean {
    return this.channel.canDeliverTo(this)
  }
  socketBound(): boolean {
    return !this.channel.conn.output.canDeliver()
  }
  deliver(queue: Queue, entry: QueueEntry, wait: Promise<void> | undefined): void {
    if (wait) this.channel.conn.output.holdUntil(wait)
    this.channel.deliver(this, queue, entry)
  }
  cancelledByQueue(): void {
    this.channel.consumerCancelledByServer(this)
  }
}
