// The stream queue type: RabbitMQ's x-queue-type stream (see stream-queue.ts), on the StreamStore boot
// gives it.
import type { StreamLog, StreamStore } from '../../ports.js'
import type { QueueType } from '../queue-type.js'
import { checkStreamEquivalence, validateStreamArgs, validateStreamProperties } from './stream-args.js'
import { StreamQueue } from './stream-queue.js'
import type { Queue } from '../queue.js'

export function streamQueueType(store: StreamStore): QueueType {
  return {
    name: 'stream',
    validateArgs: validateStreamArgs,
    checkEquivalence: checkStreamEquivalence,
    create: (opts, host) => {
      // The declare's properties are checked here, after its arguments, as RabbitMQ orders them; a
      // server-named queue arrives with its generated amq.gen- name (a client may not use the prefix).
      validateStreamProperties({ ...opts, exclusive: opts.exclusiveOwner !== undefined }, opts.vhost)
      return new StreamQueue(opts, host, store)
    },
  }
}
export { StreamQueue, type StreamRead } from './stream-queue.js'

/** What a front end that speaks to streams directly needs of a stream queue. */
export interface StreamAccess {
  readonly log: StreamLog
  /** Called once when the stream is deleted. */
  onDeleted(listener: () => void): void
}

/** The log of a stream queue, or undefined for a queue of another type. */
export function streamAccess(q: Queue): StreamAccess | undefined {
  return q instanceof StreamQueue ? q : undefined
}
