// Queue types: the interface every queue implements, the registry, and the types Warren has.
export {
  type DeadLetterReason,
  type DurabilityTicket,
  type Enqueued,
  checkDeleteConditions,
  isQueue,
  type Queue,
  type QueueHost,
  type QueueOptions,
  type Taken,
} from './queue.js'
export { type QueueType, QueueTypes } from './queue-type.js'
export { type QueueSettings, resolveSettings } from './queue-settings.js'
export { QueueDedup, QUEUE_DEDUP_ARG } from './queue-dedup.js'
export { classicQueueType } from './classic/index.js'

import { classicQueueType } from './classic/index.js'
import { QueueTypes } from './queue-type.js'

/** Classic only: what a broker has unless boot registers more. */
export function defaultQueueTypes(): QueueTypes {
  return new QueueTypes(classicQueueType)
}
export { type StreamAccess, streamAccess, streamQueueType } from './stream/index.js'
