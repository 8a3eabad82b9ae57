// An exchange routes a message to destinations (queues and, through exchange-to-exchange bindings,
// other exchanges). Each type keeps its own binding index; this base class keeps the binding list that
// listings, deletion and persistence need.
import { type FieldTable, type FieldValue, fieldNumber } from '../../shared/index.js'
import type { Message } from '../message.js'
import type { Policy } from '../policy.js'
import type { DurabilityTicket, Queue } from '../queue-types/queue.js'
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
  /**
   * The exchange keeps the message itself (a delayed exchange, until it is due) instead of routing it
   * now. The publisher's confirm waits for `ticket` (the exchange's store) when there is one.
   */
  hold(ticket: DurabilityTicket | undefined): void
  /**
   * The exchange routes the message now but must hear what its queues answered (a deduplicating
   * exchange stores a key once the copies are on disk). Only publishes tell watchers; other routes
   * (dead-lettering) do not, and the watcher copes with never hearing.
   */
  watch(watcher: EnqueueWatcher): void
}

export interface EnqueueWatcher {
  /**
   * The message was enqueued; `tickets` are what its durable copies wait for (read them now, the array
   * is reused). Returns what the publisher's confirm must also wait for, if anything.
   */
  enqueued(tickets: readonly DurabilityTicket[]): DurabilityTicket | undefined
}

export abstract class Exchange {
  /** Tells exchanges from queues among binding destinations. */
  readonly kind = 'exchange' as const
  abstract readonly type: string
  /**
   * True for types that pick destinations for a message as a whole (the hash and random exchanges pick
   * one queue per message, as RabbitMQ's do): the router then calls route() with the routing key alone
   * and not again for each CC and BCC key.
   */
  readonly routesPerMessage: boolean = false
  readonly name: string
  readonly vhost: string
  readonly durable: boolean
  readonly autoDelete: boolean
  readonly internal: boolean
  readonly args: FieldTable
  /** Bindings from this exchange by identity key: binding and unbinding stay O(1) with many bindings. */
  private readonly bindingsByKey = new Map<string, Binding>()
  /** Bindings in which this exchange is the destination (exchange-to-exchange). */
  readonly incomingSet = new Set<Binding>()
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

  /** Throws RabbitMQ's 406 for a binding this exchange refuses (for checks that depend on the exchange). */
  checkBinding(_args: FieldTable, _routingKey: string): void {}

  // Exchanges that keep messages of their own (the delayed exchange) override these three.

  /** Messages this exchange holds for later. */
  get heldCount(): number {
    return 0
  }

  /** Loads what a durable exchange held before the broker stopped; runs once every queue is recovered. */
  recover(): Promise<void> {
    return Promise.resolve()
  }

  /**
   * Whether it wants to hear of the messages it routed that queues recovered (copyRecovered); read once
   * at startup, so that recovery pays nothing per message for the exchanges that do not.
   */
  get hearsRecoveredCopies(): boolean {
    return false
  }

  /** A queue recovered a message first published to this exchange; runs before recover(). */
  copyRecovered(_msg: Message): void {}

  /** The exchange was deleted, or its vhost: stop its timers and drop what it holds. */
  dispose(): void {}

  /** The broker stops: stop its timers, keep what it stored. */
  stop(): void {}
  protected abstract indexAdd(b: Binding): void
  protected abstract indexRemove(b: Binding): void

  /** Keeps the index of an exchange used inside another one (a delayed exchange's underlying type). */
  indexBinding(b: Binding, present: boolean): void {
    if (present) this.indexAdd(b)
    else this.indexRemove(b)
  }

  /** This exchange's bindings, in the order they were made (a copy). */
  get bindings(): Binding[] {
    return [...this.bindingsByKey.values()]
  }

  get bindingCount(): number {
    return this.bindingsByKey.size
  }

  get incoming(): Binding[] {
    return [...this.incomingSet]
  }

  findBinding(dest: Destination, routingKey: string, args: FieldTable): Binding | undefined {
    return this.bindingsByKey.get(bindingKey(dest, routingKey, args))
  }

  /** Adds a binding; returns undefined when an equal one exists already. */
  bind(dest: Destination, routingKey: string, args: FieldTable): Binding | undefined {
    const key = bindingKey(dest, routingKey, args)
    if (this.bindingsByKey.has(key)) return undefined
    const b: Binding = { source: this, destination: dest, routingKey, args }
    this.bindingsByKey.set(key, b)
    dest.incomingSet.add(b)
    this.indexAdd(b)
    return b
  }

  unbind(b: Binding): void {
    if (!this.bindingsByKey.delete(bindingKey(b.destination, b.routingKey, b.args))) return
    b.destination.incomingSet.delete(b)
    this.indexRemove(b)
  }
}

/**
 * Identity of a binding: destination, routing key and arguments. Arguments are compared as RabbitMQ
 * compares them, by value: numbers of any width are equal when their values are (fieldToJson-like).
 */
function bindingKey(dest: Destination, routingKey: string, args: FieldTable): string {
  // A destination is named by kind and name: both are unique within the vhost a binding lives in.
  const id = `${dest.kind}\u0000${dest.name}`
  const keys = Object.keys(args)
  const argsKey =
    keys.length === 0 ? '' : JSON.stringify(keys.sort().map((k) => [k, argKey(args[k] as FieldValue)]))
  return `${id}\u0000${routingKey}\u0000${argsKey}`
}

/** A field value as a plain JSON-able value that equal values share, whatever their wire widths. */
export function argKey(v: FieldValue): unknown {
  const n = fieldNumber(v)
  if (n !== undefined) return n
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
  if (Buffer.isBuffer(v)) return { bytes: v.toString('base64') }
  if (Array.isArray(v)) return v.map(argKey)
  if (typeof v === 'object' && v.constructor === Object) {
    const t = v as FieldTable
    return Object.keys(t)
      .sort()
      .map((k) => [k, argKey(t[k] as FieldValue)])
  }
  return String(v)
}

export function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item)
  if (i >= 0) list.splice(i, 1)
}
