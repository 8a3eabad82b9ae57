// An exchange routes a message to destinations (queues and, through exchange-to-exchange bindings,
// other exchanges). Each type keeps its own binding index; this base class keeps the binding list that
// listings, deletion and persistence need.
import { type FieldTable, tableEquals } from '../../shared/index.js'
import type { Message } from '../message.js'
import type { Policy } from '../policy.js'
import type { Queue } from '../queue/queue.js'
import { MessageStats } from '../stats.js'

export type Destination = Queue | Exchange

export interface Binding {
  readonly source: Exchange
  readonly destination: Destination
  readonly routingKey: string
  readonly args: FieldTable
}

export interface ExchangeOptions {
  readonly name: string
  readonly vhost: string
  readonly durable: boolean
  readonly autoDelete: boolean
  readonly internal: boolean
  readonly args: FieldTable
}

/** Collects each destination once per publish, without allocating a Set per message. */
export interface RouteSink {
  add(dest: Destination): void
}

export abstract class Exchange {
  abstract readonly type: string
  readonly name: string
  readonly vhost: string
  readonly durable: boolean
  readonly autoDelete: boolean
  readonly internal: boolean
  readonly args: FieldTable
  readonly bindings: Binding[] = []
  /** Bindings in which this exchange is the destination (exchange-to-exchange). */
  readonly incoming: Binding[] = []
  /** Publish epoch in which this exchange was last visited; stops exchange-to-exchange loops. */
  routeMark = 0
  deleted = false
  /** The user policy in effect; it may name an alternate exchange. */
  policy: Policy | undefined
  /** publishIn/publishOut for the management API (see core/stats.ts). */
  readonly stats = new MessageStats()

  constructor(opts: ExchangeOptions) {
    this.name = opts.name
    this.vhost = opts.vhost
    this.durable = opts.durable
    this.autoDelete = opts.autoDelete
    this.internal = opts.internal
    this.args = opts.args
  }

  /** The alternate exchange: the argument wins over a policy, as in RabbitMQ. */
  get alternateExchange(): string | undefined {
    const arg = this.args['alternate-exchange']
    if (typeof arg === 'string') return arg
    const fromPolicy = this.policy?.definition['alternate-exchange']
    return typeof fromPolicy === 'string' ? fromPolicy : undefined
  }

  /** Adds each matching destination of `msg` to `sink`. */
  abstract route(msg: Message, routingKey: string, sink: RouteSink): void
  protected abstract indexAdd(b: Binding): void
  protected abstract indexRemove(b: Binding): void

  findBinding(dest: Destination, routingKey: string, args: FieldTable): Binding | undefined {
    return this.bindings.find(
      (b) => b.destination === dest && b.routingKey === routingKey && tableEquals(b.args, args),
    )
  }

  /** Adds a binding; returns false when an equal one exists already. */
  bind(dest: Destination, routingKey: string, args: FieldTable): Binding | undefined {
    if (this.findBinding(dest, routingKey, args)) return undefined
    const b: Binding = { source: this, destination: dest, routingKey, args }
    this.bindings.push(b)
    dest.incoming.push(b)
    this.indexAdd(b)
    return b
  }

  unbind(b: Binding): void {
    removeFrom(this.bindings, b)
    removeFrom(b.destination.incoming, b)
    this.indexRemove(b)
  }
}

export function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item)
  if (i >= 0) list.splice(i, 1)
}
