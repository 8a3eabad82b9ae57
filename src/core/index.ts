// The broker model. Imports only ../shared; never sees the wire.
export { Broker, type BrokerLimits } from './broker.js'
export { VHost, generateName, type ExchangeDeclare, type QueueDeclare } from './vhost.js'
export { Queue, type QueueOptions } from './queue/queue.js'
export { Message, type QueueEntry } from './message.js'
export type { Consumer, ConsumerOwner } from './consumer.js'
export * from './exchange/index.js'
export type * from './ports.js'
