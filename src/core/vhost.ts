// A virtual host: its exchanges, queues and bindings, and the routing of a publish to queues. Every
// check that RabbitMQ makes on declare/delete/bind (reserved names, equivalence, exclusivity) is made
// here with RabbitMQ's wording, so that any protocol front end gives the same answers.
import { randomBytes } from 'node:crypto'
import {
  AccessRefusedError,
  type Clock,
  type FieldTable,
  type FieldValue,
  NotFoundError,
  PreconditionFailedError,
  ResourceLockedError,
  tableEquals,
} from '../shared/index.js'
import {
  type Binding,
  createExchange,
  type Destination,
  Exchange,
  type RouteSink,
  validateHeadersBindingArgs,
} from './exchange/index.js'
import type { Message } from './message.js'
import { Queue, type QueueHost } from './queue/queue.js'
import { checkQueueEquivalence, validateQueueArgs } from './queue/queue-args.js'

export interface ExchangeDeclare {
  name: string
  type: string
  passive: boolean
  durable: boolean
  autoDelete: boolean
  internal: boolean
  args: FieldTable
}

export interface QueueDeclare {
  name: string
  passive: boolean
  durable: boolean
  /** Connection id when declared exclusive. */
  exclusiveOwner: number | undefined
  autoDelete: boolean
  args: FieldTable
}

/** The default exchange: every queue is bound to it by its own name. */
class DefaultExchange extends Exchange {
  readonly type: string = 'direct'
  constructor(
    vhost: string,
    private readonly queues: Map<string, Queue>,
  ) {
    super({ name: '', vhost, durable: true, autoDelete: false, internal: false, args: {} })
  }
  route(msg: Message, sink: RouteSink): void {
    const q = this.queues.get(msg.routingKey)
    if (q) sink.add(q)
  }
  protected indexAdd(): void {}
  protected indexRemove(): void {}
}

const STANDARD_EXCHANGES: ReadonlyArray<[string, string]> = [
  ['amq.direct', 'direct'],
  ['amq.fanout', 'fanout'],
  ['amq.topic', 'topic'],
  ['amq.headers', 'headers'],
  ['amq.match', 'headers'],
]

export function generateName(prefix: string): string {
  return prefix + randomBytes(16).toString('base64url').slice(0, 22)
}

const DEFAULT_EXCHANGE_REFUSAL = (): AccessRefusedError =>
  new AccessRefusedError('operation not permitted on the default exchange')

const quote = (name: string, vhost: string, what: string): string => `${what} '${name}' in vhost '${vhost}'`

export class VHost implements QueueHost {
  readonly exchanges = new Map<string, Exchange>()
  readonly queues = new Map<string, Queue>()
  /** Destinations reached by the publish in progress; reused to avoid an array per publish. */
  private readonly routed: Queue[] = []
  private epoch = 0
  private readonly sink: RouteSink = { add: (d) => this.addDestination(d) }
  private routingMessage: Message | undefined

  constructor(
    readonly name: string,
    readonly clock: Clock,
  ) {
    this.exchanges.set('', new DefaultExchange(name, this.queues))
    for (const [n, type] of STANDARD_EXCHANGES) {
      this.exchanges.set(
        n,
        createExchange(type, {
          name: n,
          vhost: name,
          durable: true,
          autoDelete: false,
          internal: false,
          args: {},
        }),
      )
    }
  }

  // ---- exchanges ----

  declareExchange(d: ExchangeDeclare): Exchange {
    const existing = this.exchanges.get(d.name)
    if (d.passive) {
      if (!existing) throw new NotFoundError(`no ${quote(d.name, this.name, 'exchange')}`)
      return existing
    }
    if (d.name.startsWith('amq.') || d.name === '') {
      if (!existing || d.name === '') {
        throw new AccessRefusedError(`exchange name '${d.name}' contains reserved prefix 'amq.*'`)
      }
    }
    if (existing) {
      this.checkExchangeEquivalence(existing, d)
      return existing
    }
    const ex = createExchange(d.type, { ...d, vhost: this.name })
    this.exchanges.set(d.name, ex)
    return ex
  }

  private checkExchangeEquivalence(ex: Exchange, d: ExchangeDeclare): void {
    const differ = (arg: string, got: unknown, have: unknown): never => {
      throw new PreconditionFailedError(
        `inequivalent arg '${arg}' for ${quote(ex.name, this.name, 'exchange')}: received '${String(got)}' but current is '${String(have)}'`,
      )
    }
    if (ex.type !== d.type) differ('type', d.type, ex.type)
    if (ex.durable !== d.durable) differ('durable', d.durable, ex.durable)
    if (ex.autoDelete !== d.autoDelete) differ('auto_delete', d.autoDelete, ex.autoDelete)
    if (ex.internal !== d.internal) differ('internal', d.internal, ex.internal)
    if (!tableEquals(ex.args, d.args)) {
      throw new PreconditionFailedError(
        `inequivalent arg 'arguments' for ${quote(ex.name, this.name, 'exchange')}`,
      )
    }
  }

  getExchange(name: string): Exchange {
    const ex = this.exchanges.get(name)
    if (!ex) throw new NotFoundError(`no ${quote(name, this.name, 'exchange')}`)
    return ex
  }

  deleteExchange(name: string, ifUnused: boolean): void {
    if (name === '') throw new AccessRefusedError('operation not permitted on the default exchange')
    if (name.startsWith('amq.')) {
      throw new AccessRefusedError(`operation not permitted on ${quote(name, this.name, 'exchange')}`)
    }
    const ex = this.exchanges.get(name)
    if (!ex) return // RabbitMQ answers delete-ok for an exchange that does not exist
    if (ifUnused && ex.bindings.length > 0) {
      throw new PreconditionFailedError(`${quote(name, this.name, 'exchange')} in use`)
    }
    this.removeExchange(ex)
  }

  private removeExchange(ex: Exchange): void {
    ex.deleted = true
    this.exchanges.delete(ex.name)
    for (const b of [...ex.bindings]) this.removeBinding(b)
    for (const b of [...ex.incoming]) this.removeBinding(b)
  }

  // ---- queues ----

  /** `connectionId` is the declaring connection; `d.exclusiveOwner` is set when it asks for exclusive. */
  declareQueue(d: QueueDeclare, connectionId: number): Queue {
    const existing = this.queues.get(d.name)
    if (d.passive) {
      if (!existing) throw new NotFoundError(`no ${quote(d.name, this.name, 'queue')}`)
      this.checkExclusive(existing, connectionId)
      return existing
    }
    if (existing) {
      this.checkExclusive(existing, connectionId, d.exclusiveOwner ?? -1)
      this.checkQueueRedeclare(existing, d)
      return existing
    }
    if (d.name.startsWith('amq.')) {
      throw new AccessRefusedError(`queue name '${d.name}' contains reserved prefix 'amq.*'`)
    }
    validateQueueArgs(d.name, this.name, d.args)
    const name = d.name === '' ? generateName('amq.gen-') : d.name
    const q = new Queue({ ...d, name, vhost: this.name }, this)
    this.queues.set(name, q)
    return q
  }

  private checkQueueRedeclare(q: Queue, d: QueueDeclare): void {
    if (q.durable !== d.durable) {
      throw new PreconditionFailedError(
        `inequivalent arg 'durable' for ${quote(q.name, this.name, 'queue')}: received '${d.durable}' but current is '${q.durable}'`,
      )
    }
    if (q.autoDelete !== d.autoDelete) {
      throw new PreconditionFailedError(
        `inequivalent arg 'auto_delete' for ${quote(q.name, this.name, 'queue')}: received '${d.autoDelete}' but current is '${q.autoDelete}'`,
      )
    }
    checkQueueEquivalence(q.name, this.name, q.args, d.args)
  }

  /**
   * RabbitMQ's exclusivity rules: operations and passive declares need the queue to be non-exclusive or
   * owned by the caller ("lax"); a redeclare must ask for exactly the queue's ownership ("strict").
   */
  private checkExclusive(q: Queue, connectionId: number, strictOwner?: number): void {
    const ok =
      strictOwner === undefined
        ? q.exclusiveOwner === undefined || q.exclusiveOwner === connectionId
        : q.exclusiveOwner === (strictOwner < 0 ? undefined : strictOwner)
    if (!ok) {
      throw new ResourceLockedError(
        `cannot obtain exclusive access to locked ${quote(q.name, this.name, 'queue')}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
      )
    }
  }

  /** The queue for an operation from `connectionId`; 404 if missing, 405 if another's exclusive queue. */
  getQueue(name: string, connectionId: number): Queue {
    const q = this.queues.get(name)
    if (!q) throw new NotFoundError(`no ${quote(name, this.name, 'queue')}`)
    this.checkExclusive(q, connectionId)
    return q
  }

  deleteQueue(name: string, connectionId: number, ifUnused: boolean, ifEmpty: boolean): number {
    const q = this.queues.get(name)
    if (!q) return 0 // RabbitMQ answers delete-ok with a count of 0 for a queue that does not exist
    this.checkExclusive(q, connectionId)
    q.checkDeletable(ifUnused, ifEmpty)
    return this.removeQueue(q)
  }

  /** Removes a queue with its bindings; returns how many ready messages it held. */
  removeQueue(q: Queue): number {
    if (q.deleted) return 0
    const n = q.messageCount
    this.queues.delete(q.name)
    for (const b of [...q.incoming]) this.removeBinding(b)
    q.destroy()
    return n
  }

  autoDeleteQueue(q: Queue): void {
    this.removeQueue(q)
  }

  /** Exclusive queues die with their connection. */
  connectionClosed(connectionId: number): void {
    for (const q of [...this.queues.values()]) if (q.exclusiveOwner === connectionId) this.removeQueue(q)
  }

  // ---- bindings ----

  bind(source: Exchange, dest: Destination, routingKey: string, args: FieldTable): void {
    if (source.name === '') throw DEFAULT_EXCHANGE_REFUSAL()
    if (source.type === 'headers') validateHeadersBindingArgs(args)
    source.bind(dest, routingKey, args)
  }

  unbind(source: Exchange, dest: Destination, routingKey: string, args: FieldTable): void {
    if (source.name === '') throw DEFAULT_EXCHANGE_REFUSAL()
    const b = source.findBinding(dest, routingKey, args)
    if (b) this.removeBinding(b)
  }

  private removeBinding(b: Binding): void {
    b.source.unbind(b)
    const src = b.source
    if (src.autoDelete && !src.deleted && src.bindings.length === 0) this.removeExchange(src)
  }

  // ---- publishing ----

  /**
   * Routes a message from an exchange and enqueues it on every queue reached, following
   * exchange-to-exchange bindings and alternate exchanges. Returns the queues (a reused array: read it
   * before the next publish).
   */
  publish(ex: Exchange, msg: Message): readonly Queue[] {
    const routed = this.route(ex, msg)
    for (let i = 0; i < routed.length; i++) (routed[i] as Queue).enqueue(msg)
    return routed
  }

  route(ex: Exchange, msg: Message): Queue[] {
    this.routed.length = 0
    this.epoch++
    this.routingMessage = msg
    ex.routeMark = this.epoch
    ex.route(msg, this.sink)
    let from: Exchange | undefined = ex
    // Alternate exchanges take what their exchange could not route, and may chain.
    while (this.routed.length === 0 && from) {
      const aeName: FieldValue | undefined = from.args['alternate-exchange']
      const ae: Exchange | undefined = typeof aeName === 'string' ? this.exchanges.get(aeName) : undefined
      if (!ae || ae.routeMark === this.epoch) break
      ae.routeMark = this.epoch
      ae.route(msg, this.sink)
      from = ae
    }
    this.routingMessage = undefined
    return this.routed
  }

  private addDestination(d: Destination): void {
    if (d.routeMark === this.epoch) return
    d.routeMark = this.epoch
    if (d instanceof Queue) this.routed.push(d)
    else d.route(this.routingMessage as Message, this.sink)
  }
}
