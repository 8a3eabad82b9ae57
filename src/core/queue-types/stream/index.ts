// The stream queue type: RabbitMQ's x-queue-type stream (see stream-queue.ts), on the StreamStore boot
// gives it, with the decoder of the batches a front end appends encoded (the Stream protocol's AMQP 1.0).
import type { EncodedBatch, StreamBatchDecoder, StreamLog, StreamStore } from '../../ports.js'
import type { QueueType } from '../queue-type.js'
import { checkStreamEquivalence, validateStreamArgs, validateStreamProperties } from './stream-args.js'
import { StreamQueue } from './stream-queue.js'
import type { Queue } from '../queue.js'

/** Without a front end that appends batches, there are none to decode. */
const noBatches: StreamBatchDecoder = () => {
  throw new Error('a stream holds an encoded batch, but no decoder was registered for it')
}

export function streamQueueType(store: StreamStore, decode: StreamBatchDecoder = noBatches): QueueType {
  return {
    name: 'stream',
    validateArgs: validateStreamArgs,
    checkEquivalence: checkStreamEquivalence,
    create: (opts, host) => {
      // The declare's properties are checked here, after its arguments, as RabbitMQ orders them; a
      // server-named queue arrives with its generated amq.gen- name (a client may not use the prefix).
      validateStreamProperties({ ...opts, exclusive: opts.exclusiveOwner !== undefined }, opts.vhost)
      return new StreamQueue(opts, host, store, decode)
    },
  }
}
export { StreamQueue, type StreamRead } from './stream-queue.js'

/** What a front end that speaks to streams directly needs of a stream queue. */
export interface StreamAccess {
  readonly log: StreamLog
  /**
   * Appends messages encoded in the front end's form as one chunk, counted as published; returns the
   * first offset. A confirm waits for log.flush().
   */
  appendEncoded(batch: EncodedBatch): number
  /** Called once when the stream is deleted. */
  onDeleted(listener: () => void): void
}

/** The log of a stream queue, or undefined for a queue of another type. */
export function streamAccess(q: Queue): StreamAccess | undefined {
  return q instanceof StreamQueue ? q : undefined
}
