// The default exchange and direct reply-to: every queue is bound to the default exchange by its own name,
// and 'amq.rabbitmq.reply-to.<key>' reaches the private queue of the consumer that owns the key.
import { Exchange, type RouteSink } from './exchange/index.js'
import type { Message } from './message.js'
import type { Queue, QueueOptions } from './queue-types/index.js'

export const REPLY_TO = 'amq.rabbitmq.reply-to'
export const REPLY_TO_PREFIX = 'amq.rabbitmq.reply-to.'

/** The default exchange: every queue is bound to it by its own name. */
export class DefaultExchange extends Exchange {
  readonly type: string = 'direct'
  constructor(
    vhost: string,
    private readonly queues: Map<string, Queue>,
    private readonly replyQueues: Map<string, Queue>,
  ) {
    super({ name: '', vhost, durable: true, autoDelete: false, internal: false, args: {} })
  }
  route(_msg: Message, routingKey: string, sink: RouteSink): void {
    const q = this.queues.get(routingKey)
    if (q) sink.add(q)
    else if (routingKey.startsWith(REPLY_TO_PREFIX)) {
      const r = this.replyQueues.get(routingKey.slice(REPLY_TO_PREFIX.length))
      if (r) sink.add(r)
    }
  }
  protected indexAdd(): void {}
  protected indexRemove(): void {}
}

/** A direct reply-to consumer's private queue: transient, owned by its connection, named as the pseudo-queue. */
export function replyQueueOptions(vhost: string, connectionId: number): QueueOptions {
  return { name: REPLY_TO, vhost, durable: false, autoDelete: false, exclusiveOwner: connectionId, args: {} }
}

export function isReplyQueueName(name: string, replyQueues: ReadonlyMap<string, Queue>): boolean {
  return (
    name === REPLY_TO ||
    (name.startsWith(REPLY_TO_PREFIX) && replyQueues.has(name.slice(REPLY_TO_PREFIX.length)))
  )
}
