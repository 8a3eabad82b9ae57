// Direct reply-to (amq.rabbitmq.reply-to): RPC replies go straight to the requesting channel's no-ack
// consumer, with no reply queue declared. The channel's publishes with reply_to 'amq.rabbitmq.reply-to'
// get a routable 'amq.rabbitmq.reply-to.<key>' instead, and the default exchange delivers that key to
// this consumer (see VHost.replyQueues).
import { randomBytes } from 'node:crypto'
import { type Queue, REPLY_TO, REPLY_TO_PREFIX } from '../core/index.js'
import { type BasicProperties, type FieldTable, PreconditionFailedError } from '../shared/index.js'
import type { Channel } from './channel.js'
import { ChannelConsumer } from './channel-consumer.js'

export class DirectReply {
  private key: string | undefined
  private queue: Queue | undefined
  private consumer: ChannelConsumer | undefined

  constructor(private readonly ch: Channel) {}

  get active(): boolean {
    return this.consumer !== undefined
  }

  /** basic.consume on amq.rabbitmq.reply-to; the caller sends consume-ok before start() delivers. */
  consume(tag: string, noAck: boolean, args: FieldTable): ChannelConsumer {
    if (!noAck) throw new PreconditionFailedError('reply consumer cannot acknowledge')
    if (this.consumer) throw new PreconditionFailedError('reply consumer already set')
    const key = `${this.ch.conn.id}.${this.ch.id}.${randomBytes(12).toString('base64url')}`
    const queue = this.ch.vhost.openReplyQueue(key, this.ch.conn.id)
    this.key = key
    this.queue = queue
    this.consumer = new ChannelConsumer(this.ch, queue, tag, true, false, 0, args)
    return this.consumer
  }

  /** Rewrites reply_to for RPC requests published on this channel. */
  rewriteReplyTo(props: BasicProperties): BasicProperties {
    if (props.replyTo !== REPLY_TO) return props
    if (!this.key) throw new PreconditionFailedError('fast reply consumer does not exist')
    return { ...props, replyTo: REPLY_TO_PREFIX + this.key }
  }

  /** The consumer was cancelled or the channel closed: replies to its key are dropped from now on. */
  close(): void {
    if (this.key && this.queue) this.ch.vhost.closeReplyQueue(this.key)
    this.key = this.queue = this.consumer = undefined
  }

  isReplyConsumer(c: ChannelConsumer): boolean {
    return c === this.consumer
  }
}
