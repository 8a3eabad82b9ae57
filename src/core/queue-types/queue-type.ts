// Queue types and their registry. A queue type validates the arguments of a declare, checks a redeclare
// for equivalence, and makes queues; the broker keeps one registry, filled by boot, and looks types up by
// the x-queue-type argument of queue.declare (RabbitMQ's rabbit_queue_type). A new type is a folder
// under queue-types/ that exports one QueueType.
import type { FieldTable } from '../../shared/index.js'
import type { Queue, QueueHost, QueueOptions } from './queue.js'

/** What a declare asked for besides its arguments, for types that refuse some (quorum queues). */
export interface DeclaredProperties {
  readonly durable: boolean
  readonly autoDelete: boolean
  readonly exclusive: boolean
  /** The client left the name to the server. */
  readonly serverNamed: boolean
}

export interface QueueType {
  /** The x-queue-type value that selects it. */
  readonly name: string
  /**
   * Throws RabbitMQ's 406 for arguments (and, given them, properties) this type refuses, in RabbitMQ's
   * order and wording.
   */
  validateArgs(queue: string, vhost: string, args: FieldTable, props?: DeclaredProperties): void
  /** Throws RabbitMQ's 406 when a redeclare's arguments differ from the queue's. */
  checkEquivalence(queue: string, vhost: string, have: FieldTable, got: FieldTable): void
  create(opts: QueueOptions, host: QueueHost): Queue
}

export class QueueTypes {
  private readonly types = new Map<string, QueueType>()

  /** `fallback` validates the arguments of a declare that names no registered type (and refuses it). */
  constructor(private readonly fallback: QueueType) {
    this.register(fallback)
  }

  register(type: QueueType): void {
    this.types.set(type.name, type)
  }

  /** The type x-queue-type asks for; without one, or with one nobody registered, the fallback. */
  resolve(args: FieldTable): QueueType {
    const name = args['x-queue-type']
    return (typeof name === 'string' && this.types.get(name)) || this.fallback
  }

  get names(): string[] {
    return [...this.types.keys()]
  }
}
