// Exchange types and their registry (RabbitMQ's rabbit_exchange_type behaviour): a type makes exchanges,
// and may check a new exchange's arguments (validate) and a binding's key and arguments
// (validate_binding). An exchange gets a host, so a type that keeps state of its own (the delayed
// exchange) reaches the clock, a store and the routing of its vhost.
// A new type is a module that exports one ExchangeType, registered by boot.
import { CommandInvalidError, type Clock, type FieldTable, type Logger } from '../../shared/index.js'
import type { Message } from '../message.js'
import type { QueueStore } from '../ports.js'
import type { DurabilityTicket } from '../queue-types/queue.js'
import type { Exchange, ExchangeOptions } from './exchange.js'

/** What an exchange may use of its vhost. */
export interface ExchangeHost {
  readonly clock: Clock
  /** The vhost's name. */
  readonly name: string
  /** The registered types: an exchange may route through another type's exchange. */
  readonly exchangeTypes: ExchangeTypes
  readonly logger?: Logger | undefined
  /** Where a durable exchange keeps messages of its own; undefined when the broker stores nothing. */
  exchangeStore(ex: Exchange): QueueStore | undefined
  /**
   * Routes a message the exchange kept (now due) onward from it and enqueues it; returns what its
   * durable copies wait for (the tickets of the queues that took it) and how many queues it reached.
   */
  releaseHeld(ex: Exchange, msg: Message): { tickets: readonly DurabilityTicket[]; queues: number }
}

export interface ExchangeType {
  /** The type name of exchange.declare: 'direct', 'topic', ... */
  readonly name: string
  /** What the management API's exchange_types says of it, in RabbitMQ's words. */
  readonly description?: string
  create(opts: ExchangeOptions, host: ExchangeHost): Exchange
  /** Throws RabbitMQ's 406 for the arguments of a new exchange this type refuses (not on redeclare). */
  validate?(opts: ExchangeOptions): void
  /** Throws RabbitMQ's 406 for a binding key or arguments this type refuses. */
  validateBinding?(args: FieldTable, routingKey: string): void
}

export class ExchangeTypes {
  private readonly types = new Map<string, ExchangeType>()

  constructor(types: readonly ExchangeType[]) {
    for (const t of types) this.register(t)
  }

  register(type: ExchangeType): void {
    this.types.set(type.name, type)
  }

  has(name: string): boolean {
    return this.types.has(name)
  }

  /** The type of an exchange.declare; 503 COMMAND_INVALID for one nobody registered, as RabbitMQ says. */
  get(name: string): ExchangeType {
    const t = this.types.get(name)
    if (!t) throw new CommandInvalidError(`unknown exchange type '${name}'`)
    return t
  }

  get names(): string[] {
    return [...this.types.keys()]
  }

  /** Every registered type, in registration order. */
  get all(): ExchangeType[] {
    return [...this.types.values()]
  }
}
