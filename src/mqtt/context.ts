// What the MQTT front end is given by the composition root.
import type { UserRegistry } from '../auth/index.js'
import type { Authorizer, Broker } from '../core/index.js'
import type { Clock, Logger } from '../shared/index.js'
import type { MqttCounters } from './metrics.js'
import type { RetainedStore } from './retained.js'

export interface MqttSettings {
  /** The exchange MQTT publishes go to and subscriptions bind to (RabbitMQ: amq.topic). */
  readonly exchange: string
  /** The vhost of a login that names none (RabbitMQ's mqtt.vhost: /). */
  readonly vhost: string
  /** A CONNECT without credentials logs in as the default user (RabbitMQ's mqtt.allow_anonymous). */
  readonly allowAnonymous: boolean
  readonly defaultUser: string
  readonly defaultPass: string
  /** Unacknowledged QoS 1 deliveries a client may have at once (RabbitMQ's mqtt.prefetch: 10). */
  readonly prefetch: number
  /** x-expires of a persistent session's queue, ms (RabbitMQ's mqtt.subscription_ttl: 24 h). */
  readonly subscriptionTtl: number | undefined
  /** Users allowed to log in only from loopback addresses (RabbitMQ: ['guest']). */
  readonly loopbackUsers: readonly string[]
  /**
   * MQTT 5 topic aliases a client may set, and at most Warren gives the topics it sends a client that
   * takes them (RabbitMQ 3.13's mqtt.topic_alias_maximum: 16; 0 turns them off).
   */
  readonly topicAliasMaximum?: number | undefined
  /** Seconds a client has to send CONNECT after connecting. */
  readonly connectTimeout: number
}

/** Lets a reply wait until durable changes (a persistent session's queue and bindings) are on disk. */
export interface DurabilityGate {
  readonly busy: boolean
  settled(): Promise<void>
}

export interface MqttContext {
  readonly broker: Broker
  readonly authz: Authorizer
  readonly users: UserRegistry
  readonly logger: Logger
  readonly clock: Clock
  readonly durability?: DurabilityGate | undefined
  readonly retained: RetainedStore
  readonly settings: MqttSettings
  /** The node name firehose traces carry. */
  readonly nodeName: string
  /** Prometheus' rabbitmq_global_*{protocol="mqtt311"...}, registered on the broker by the server. */
  readonly counters?: MqttCounters | undefined
}
