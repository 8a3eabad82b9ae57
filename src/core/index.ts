// The broker model. Imports only ../shared; never sees the wire.
export { Broker, type BrokerLimits, type Alarm } from './broker.js'
export { VHost } from './vhost.js'
export { generateName, type ExchangeDeclare, type QueueDeclare } from './declarations.js'
export type { PublishResult } from './router.js'
export { REPLY_TO, REPLY_TO_PREFIX } from './reply-to.js'
export {
  classicQueueType,
  defaultQueueTypes,
  quorumQueueType,
  type DurabilityTicket,
  type Enqueued,
  isQueue,
  type Queue,
  type QueueOptions,
  type QueueType,
  QueueTypes,
  StreamQueue,
  type StreamRead,
  type StreamAccess,
  streamAccess,
  streamQueueType,
  type Taken,
} from './queue-types/index.js'
export { Message, type QueueEntry } from './message.js'
export { AuthAttempts, ChurnCounters, MessageStats, ProtocolCounters, VhostCounters } from './stats.js'
export type { Consumer, ConsumerOwner } from './consumer.js'
export * from './exchange/index.js'
export type * from './ports.js'
export { exchangeStoreName } from './ports.js'
export {
  exportPolicies,
  exportTopology,
  exportVhostLimits,
  importPolicies,
  importTopology,
  importVhostLimits,
  tableToJson,
  jsonToTable,
  fieldToJson,
  jsonToField,
  type Json,
} from './definitions.js'
export type { DeadLetterReason } from './queue-types/index.js'
export { type Policy, type ApplyTo, matchPolicy, validatePolicy } from './policy.js'
export { TRACE_EXCHANGE, publishTrace, deliverTrace, type TraceOrigin } from './trace.js'
export { Session, type SessionOptions } from './session.js'
export {
  checkQueueLimit,
  type Limits,
  limitOf,
  limitsProblem,
  USER_LIMITS,
  VHOST_LIMITS,
  withLimit,
  withoutLimit,
} from './limits.js'
export { Tracking } from './tracking.js'
export {
  declareSuperStream,
  deleteSuperStream,
  PARTITION_ORDER,
  partitionBindings,
  partitionOrder,
  SUPER_STREAM_ARG,
  superStreamExchange,
  superStreamLayout,
  type SuperStreamSpec,
} from './super-streams.js'
