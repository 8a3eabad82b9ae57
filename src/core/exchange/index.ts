import { consistentHashExchangeType } from './consistent-hash.js'
import { dedupExchangeType } from './dedup/dedup-exchange.js'
import { DirectExchange } from './direct.js'
import { type ExchangeType, ExchangeTypes } from './exchange-type.js'
import { FanoutExchange } from './fanout.js'
import { HeadersExchange, validateHeadersBindingArgs } from './headers.js'
import { modulusHashExchangeType } from './modulus-hash.js'
import { randomExchangeType } from './random.js'
import { TopicExchange } from './topic.js'

export {
  Exchange,
  type Binding,
  type Destination,
  type EnqueueWatcher,
  type ExchangeOptions,
  type RouteSink,
} from './exchange.js'
export { DirectExchange, FanoutExchange, HeadersExchange, TopicExchange }
export { headersMatch, validateHeadersBindingArgs } from './headers.js'
export { type ExchangeHost, type ExchangeType, ExchangeTypes } from './exchange-type.js'
export { topicWords } from './topic.js'
export { BucketRing } from './bucket-ring.js'
export { ConsistentHashExchange, consistentHashExchangeType } from './consistent-hash.js'
export { hashText, jumpHash } from './key-hash.js'
export { ModulusHashExchange, modulusHashExchangeType } from './modulus-hash.js'
export { RandomExchange, randomExchangeType } from './random.js'
export { DelayedExchange, delayedExchangeType, type HeldMessage } from './delayed/delayed-exchange.js'
export type { CronSchedules, Schedule } from './delayed/schedule.js'
export { DedupExchange, dedupExchangeType } from './dedup/dedup-exchange.js'
export { DedupCache } from './dedup/dedup-cache.js'
export { DEDUP_HEADER, DEDUP_POLICY_KEYS, dedupKey } from './dedup/dedup-args.js'

/** The exchange types every RabbitMQ has. */
export const standardExchangeTypes: readonly ExchangeType[] = [
  {
    name: 'direct',
    description: 'AMQP direct exchange, as per the AMQP specification',
    create: (opts) => new DirectExchange(opts),
  },
  {
    name: 'fanout',
    description: 'AMQP fanout exchange, as per the AMQP specification',
    create: (opts) => new FanoutExchange(opts),
  },
  {
    name: 'topic',
    description: 'AMQP topic exchange, as per the AMQP specification',
    create: (opts) => new TopicExchange(opts),
  },
  {
    name: 'headers',
    description: 'AMQP headers exchange, as per the AMQP specification',
    create: (opts) => new HeadersExchange(opts),
    validateBinding: validateHeadersBindingArgs,
  },
]

/**
 * The exchange types RabbitMQ ships as plugins (rabbitmq_consistent_hash_exchange, rabbitmq_sharding's
 * x-modulus-hash, rabbitmq_random_exchange); Warren has them without enabling anything.
 */
export const pluginExchangeTypes: readonly ExchangeType[] = [
  consistentHashExchangeType,
  modulusHashExchangeType,
  randomExchangeType,
  dedupExchangeType,
]

export function defaultExchangeTypes(): ExchangeTypes {
  return new ExchangeTypes(standardExchangeTypes)
}
