// The quorum queue type: RabbitMQ 3.10's quorum queues on a single node (see quorum-queue.ts).
import type { QueueType } from '../queue-type.js'
import { checkQuorumEquivalence, validateQuorumArgs } from './quorum-args.js'
import { QuorumQueue } from './quorum-queue.js'

export const quorumQueueType: QueueType = {
  name: 'quorum',
  validateArgs: validateQuorumArgs,
  checkEquivalence: checkQuorumEquivalence,
  create: (opts, host) => new QuorumQueue(opts, host),
}
