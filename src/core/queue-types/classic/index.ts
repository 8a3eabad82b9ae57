// The classic queue type: RabbitMQ 3.10's classic queues (see classic-queue.ts).
import type { QueueType } from '../queue-type.js'
import { ClassicQueue } from './classic-queue.js'
import { checkQueueEquivalence, validateQueueArgs } from './queue-args.js'

export const classicQueueType: QueueType = {
  name: 'classic',
  validateArgs: validateQueueArgs,
  checkEquivalence: checkQueueEquivalence,
  create: (opts, host) => new ClassicQueue(opts, host),
}

export { WINDOW_MAX } from './ready-messages.js'
// What the quorum queue (../quorum/) builds on.
export { ClassicQueue } from './classic-queue.js'
export type { QueueFlavour } from './flavour.js'
export { type Check, nonNegInt, oneOf, positiveInt, QUEUE_ARGS } from './queue-args.js'
export { withDeliveryCount, DELIVERY_COUNT } from './delivery-count.js'
