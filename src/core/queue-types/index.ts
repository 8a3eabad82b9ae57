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
export { type DeclaredProperties, type QueueType, QueueTypes } from './queue-type.js'
export { type QueueSettings, resolveSettings } from './queue-settings.js'
export { QueueDedup, QUEUE_DEDUP_ARG } from './queue-dedup.js'
export { classicQueueType } from './classic/index.js'
export { quorumQueueType } from './quorum/index.js'

import { classicQueueType } from './classic/index.js'
import { quorumQueueType } from './quorum/index.js'
import { QueueTypes } from './queue-type.js'

/** Classic and quorum: what a broker has unless boot registers more. */
export function defaultQueueTypes(): QueueTypes {
  const types = new QueueTypes(classicQueueType)
  types.register(quorumQueueType)
  return types
}
export {
  type StreamAccess,
  streamAccess,
  StreamQueue,
  type StreamRead,
  streamQueueType,
} from './stream/index.js'
