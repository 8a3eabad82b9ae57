// What the AMQP layer is given by the composition root.
import type { UserRegistry } from '../auth/index.js'
import type { Authorizer, Broker } from '../core/index.js'
import type { Clock, FieldTable, Logger } from '../shared/index.js'
import type { HandlerTable } from './channel.js'
import type { CodecState } from './codec-state.js'

export interface AmqpSettings {
  /** Largest frame the server accepts and proposes, bytes (RabbitMQ: 131072). */
  frameMax: number
  /** Highest channel number the server proposes (RabbitMQ: 2047). */
  channelMax: number
  /** Heartbeat interval the server proposes, seconds (RabbitMQ: 60). */
  heartbeat: number
  /** Seconds allowed for the handshake to complete before the socket is closed (RabbitMQ: 10). */
  handshakeTimeout: number
  /** Users allowed to log in only from loopback addresses (RabbitMQ: ['guest']). */
  loopbackUsers: string[]
}

/** Lets handlers wait until durable changes are on disk. */
export interface DurabilityGate {
  readonly busy: boolean
  settled(): Promise<void>
}

export interface AmqpContext {
  readonly durability?: DurabilityGate | undefined
  readonly broker: Broker
  /** Resource permissions, checked through each channel's session. */
  readonly authz: Authorizer
  readonly users: UserRegistry
  readonly logger: Logger
  readonly clock: Clock
  readonly settings: AmqpSettings
  readonly serverProperties: FieldTable
}

/** What each connection works with: the context, the channel methods' dispatch table, the codec state. */
export interface ConnectionContext extends AmqpContext {
  readonly handlers: HandlerTable
  readonly codec: CodecState
  /** Gives each connection of this server its id (exclusive queues are owned by it). */
  nextConnectionId(): number
}
