// What the STOMP front end is given by the composition root.
import type { UserRegistry } from '../auth/index.js'
import type { Authorizer, Broker, ProtocolCounters } from '../core/index.js'
import type { Clock, Logger } from '../shared/index.js'

export interface StompSettings {
  /** The vhost of a CONNECT without a host header (RabbitMQ's stomp.default_vhost: /). */
  readonly vhost: string
  /** A CONNECT without login and passcode logs in as the default user (RabbitMQ's stomp.default_user). */
  readonly allowAnonymous: boolean
  readonly defaultUser: string
  readonly defaultPass: string
  /** Users allowed to log in only from loopback addresses (RabbitMQ: ['guest']). */
  readonly loopbackUsers: readonly string[]
  /** Seconds a client has to send CONNECT after connecting. */
  readonly connectTimeout: number
  /** The server header of CONNECTED (product/version). */
  readonly server: string
}

/** Lets a receipt wait until durable changes (a queue, a persistent message) are on disk. */
export interface DurabilityGate {
  readonly busy: boolean
  settled(): Promise<void>
}

export interface StompContext {
  readonly broker: Broker
  readonly authz: Authorizer
  readonly users: UserRegistry
  readonly logger: Logger
  readonly clock: Clock
  readonly durability?: DurabilityGate | undefined
  readonly settings: StompSettings
  /** The node name firehose traces carry. */
  readonly nodeName: string
  /** Prometheus' rabbitmq_global_*{protocol="stomp"}, registered on the broker by the server. */
  readonly counters?: ProtocolCounters | undefined
}
