// A virtual host: its exchanges, queues and bindings, and the routing of a publish to queues. Every
// check that RabbitMQ makes on declare/delete/bind (reserved names, equivalence, exclusivity) is made
// here with RabbitMQ's wording, so that any protocol front end gives the same answers.
import { randomBytes } from 'node:crypto'
import {
  AccessRefusedError,
  type Clock,
  type FieldTable,
  type FieldValue,
  type Logger,
  NotFoundError,
  PreconditionFailedError,
  ResourceLockedError,
  describeType,
  fieldEquals,
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
import type { DurabilityListener, QueueStore } from './ports.js'
import { deadLetteredMessage, isDeadLetterCycle } from './dead-letter.js'
import { MessageStats } from './stats.js'
import { type DeadLetterReason, Queue, type QueueHost } from './queue/queue.js'
import { checkQueueEquivalence, inequivalence, validateQueueArgs } from './queue/queue-args.js'

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
    private readonly replyQueues: Map<string, Queue>,
  ) {
    super({ name: '', vhost, durable: true, autoDelete: false, internal: false, args: {} })
  }
  route(_msg: Message, routingKey: string, sink: RouteSink): void {
    const q = this.queues.get(routingKey)
    if (q) sink.add(q)
    else if (routingKey.startsWith(REPLY_TO_PREFIX)) {
      const r = this.replyQueues.get(routingKey.slice(REPLY_TO_PREFIX.length))
      if (r) sink.add(r)
    }
  }
  protected indexAdd(): void {}
  protected indexRemove(): void {}
}

/** The exchanges RabbitMQ creates in every vhost: name, type, internal. */
const STANDARD_EXCHANGES: ReadonlyArray<[string, string, boolean]> = [
  ['amq.direct', 'direct', false],
  ['amq.fanout', 'fanout', false],
  ['amq.topic', 'topic', false],
  ['amq.headers', 'headers', false],
  ['amq.match', 'headers', false],
  // The firehose tracer publishes here when tracing is on for the vhost.
  ['amq.rabbitmq.trace', 'topic', true],
]

export function generateName(prefix: string): string {
  return prefix + randomBytes(16).toString('base64url').slice(0, 22)
}

export const REPLY_TO = 'amq.rabbitmq.reply-to'
export const REPLY_TO_PREFIX = 'amq.rabbitmq.reply-to.'

const DEFAULT_EXCHANGE_REFUSAL = (): AccessRefusedError =>
  new AccessRefusedError('operation not permitted on the default exchange')

const quote = (name: string, vhost: string, what: string): string => `${what} '${name}' in vhost '${vhost}'`

export class VHost implements QueueHost {
  readonly exchanges = new Map<string, Exchange>()
  readonly queues = new Map<string, Queue>()
  /** Direct reply-to consumers' private queues, by the key after 'amq.rabbitmq.reply-to.'. */
  readonly replyQueues = new Map<string, Queue>()
  /** Publish-side counters, plus the delivery counters of deleted queues (see core/stats.ts). */
  readonly stats = new MessageStats()
  /** Destinations reached by the publish in progress; reused to avoid an array per publish. */
  private routed: Queue[] = []
  private epoch = 0
  private readonly sink: RouteSink = { add: (d) => this.addDestination(d) }
  private routingMessage: Message | undefined
  /** CC/BCC keys of the message being routed: every exchange on the way routes them too. */
  private routingExtraKeys: string[] | undefined

  constructor(
    readonly name: string,
    readonly clock: Clock,
    private readonly durability?: DurabilityListener,
    private readonly logger?: Logger,
  ) {
    this.exchanges.set('', new DefaultExchange(name, this.queues, this.replyQueues))
    for (const [n, type, internal] of STANDARD_EXCHANGES) {
      this.exchanges.set(
        n,
        createExchange(type, { name: n, vhost: name, durable: true, autoDelete: false, internal, args: {} }),
      )
    }
  }

  // ---- exchanges ----

  declareExchange(d: ExchangeDeclare): Exchange {
    if (d.name === '') throw DEFAULT_EXCHANGE_REFUSAL()
    const existing = this.exchanges.get(d.name)
    if (d.passive) {
      if (!existing) throw new NotFoundError(`no ${quote(d.name, this.name, 'exchange')}`)
      return existing
    }
    if (existing) {
      this.checkExchangeEquivalence(existing, d)
      return existing
    }
    if (d.name.startsWith('amq.')) {
      throw new AccessRefusedError(`exchange name '${d.name}' contains reserved prefix 'amq.*'`)
    }
    const ae = d.args['alternate-exchange']
    if (ae !== undefined && typeof ae !== 'string') {
      throw new PreconditionFailedError(
        `invalid type '${describeType(ae)}' for arg 'alternate-exchange' in ${quote(d.name, this.name, 'exchange')}`,
      )
    }
    const ex = createExchange(d.type, { ...d, vhost: this.name })
    this.exchanges.set(d.name, ex)
    if (ex.durable) this.durability?.definitionsChanged()
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
    // Of an exchange's arguments RabbitMQ compares only alternate-exchange.
    const have = ex.args['alternate-exchange']
    const got = d.args['alternate-exchange']
    if (
      (have !== undefined || got !== undefined) &&
      !(have !== undefined && got !== undefined && fieldEquals(have, got))
    ) {
      throw new PreconditionFailedError(
        `inequivalent arg 'alternate-exchange' for ${quote(ex.name, this.name, 'exchange')}: ${inequivalence(have, got)}`,
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
      throw new AccessRefusedError(`deletion of system ${quote(name, this.name, 'exchange')} not allowed`)
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
    if (ex.durable) this.durability?.definitionsChanged()
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
    if (q.durable && this.durability) {
      this.durability.queueCreated(q)
      this.durability.definitionsChanged()
    }
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
    // delete-ok reports the ready messages, as RabbitMQ does (unacked ones are not counted).
    const n = q.readyCount
    this.queues.delete(q.name)
    for (const b of [...q.incoming]) this.removeBinding(b)
    q.destroy()
    this.stats.addDeliveries(q.stats)
    if (q.durable && this.durability) {
      this.durability.queueDeleted(q)
      this.durability.definitionsChanged()
    }
    return n
  }

  autoDeleteQueue(q: Queue): void {
    this.removeQueue(q)
  }

  /** Exclusive queues die with their connection. */
  connectionClosed(connectionId: number): void {
    for (const q of [...this.queues.values()]) if (q.exclusiveOwner === connectionId) this.removeQueue(q)
  }

  // ---- direct reply-to ----

  openReplyQueue(key: string, connectionId: number): Queue {
    const q = new Queue(
      {
        name: REPLY_TO,
        vhost: this.name,
        durable: false,
        autoDelete: false,
        exclusiveOwner: connectionId,
        args: {},
      },
      this,
    )
    this.replyQueues.set(key, q)
    return q
  }

  closeReplyQueue(key: string): void {
    const q = this.replyQueues.get(key)
    if (!q) return
    this.replyQueues.delete(key)
    q.destroy()
  }

  /** Passive declares of the pseudo-queue and of live reply keys succeed, as in RabbitMQ. */
  isReplyQueueName(name: string): boolean {
    return (
      name === REPLY_TO ||
      (name.startsWith(REPLY_TO_PREFIX) && this.replyQueues.has(name.slice(REPLY_TO_PREFIX.length)))
    )
  }

  // ---- bindings ----

  bind(source: Exchange, dest: Destination, routingKey: string, args: FieldTable): void {
    if (source.name === '') throw DEFAULT_EXCHANGE_REFUSAL()
    if (source.type === 'headers') validateHeadersBindingArgs(args)
    if (source.bind(dest, routingKey, args) && source.durable && dest.durable)
      this.durability?.definitionsChanged()
  }

  unbind(source: Exchange, dest: Destination, routingKey: string, args: FieldTable): void {
    if (source.name === '') throw DEFAULT_EXCHANGE_REFUSAL()
    const b = source.findBinding(dest, routingKey, args)
    if (b) this.removeBinding(b)
  }

  private removeBinding(b: Binding): void {
    b.source.unbind(b)
    if (b.source.durable && b.destination.durable) this.durability?.definitionsChanged()
    const src = b.source
    if (src.autoDelete && !src.deleted && src.bindings.length === 0) this.removeExchange(src)
  }

  // ---- publishing ----

  /**
   * Routes a message from an exchange and enqueues it on every queue reached, following
   * exchange-to-exchange bindings, alternate exchanges and CC/BCC headers. The result object is reused:
   * read it before the next publish.
   */
  publish(ex: Exchange, msg: Message): PublishResult {
    const routed = this.route(ex, msg)
    this.stats.publish++
    ex.stats.publishIn++
    if (routed.length > 0) ex.stats.publishOut++
    const result = this.result
    result.queues = routed.length
    result.rejected = false
    result.stores.length = 0
    if (routed.length === 0) return result
    // Enqueueing can dead-letter (overflow, TTL 0), which routes again: give nested routes another array.
    this.routed = this.spareRouted.pop() ?? []
    const stored = stripBcc(msg)
    for (let i = 0; i < routed.length; i++) {
      const q = routed[i] as Queue
      if (!q.enqueue(stored)) result.rejected = true
      else if (q.store && stored.persistent) result.stores.push(q.store)
    }
    this.spareRouted.push(this.routed)
    this.routed = routed
    return result
  }
  private readonly spareRouted: Queue[][] = []
  private readonly result: PublishResult = { queues: 0, rejected: false, stores: [] }

  route(ex: Exchange, msg: Message): Queue[] {
    this.routed.length = 0
    this.epoch++
    this.routingMessage = msg
    const headers = msg.properties.headers
    const extraKeys =
      (headers && (headers['CC'] !== undefined || headers['BCC'] !== undefined)) || msg.bccKeys
        ? senderKeys(headers, msg.bccKeys)
        : undefined
    this.routingExtraKeys = extraKeys
    let from: Exchange | undefined = ex
    let first = true
    // Alternate exchanges take what their exchange could not route, and may chain.
    while (from && (first || this.routed.length === 0)) {
      if (!first && from.routeMark === this.epoch) break
      first = false
      from.routeMark = this.epoch
      this.routeKeys(from, msg, extraKeys)
      const aeName: FieldValue | undefined = from.args['alternate-exchange']
      from = typeof aeName === 'string' ? this.exchanges.get(aeName) : undefined
    }
    this.routingMessage = undefined
    return this.routed
  }

  private routeKeys(ex: Exchange, msg: Message, extraKeys: string[] | undefined): void {
    ex.route(msg, msg.routingKey, this.sink)
    if (extraKeys) for (const k of extraKeys) ex.route(msg, k, this.sink)
  }

  private addDestination(d: Destination): void {
    if (d.routeMark === this.epoch) return
    d.routeMark = this.epoch
    if (d instanceof Queue) this.routed.push(d)
    else this.routeKeys(d, this.routingMessage as Message, this.routingExtraKeys)
  }

  storeFailed(q: Queue, err: unknown): void {
    this.logger?.error(
      { err, vhost: this.name, queue: q.name },
      'reading paged-out messages back from the store failed',
    )
  }

  // ---- dead-lettering ----

  deadLetter(q: Queue, messages: readonly Message[], reason: DeadLetterReason): void {
    const dlxName = q.settings.deadLetterExchange
    if (dlxName === undefined) return
    const dlx = this.exchanges.get(dlxName)
    if (!dlx) return // RabbitMQ drops dead letters whose exchange does not exist
    const now = this.clock.now()
    for (const msg of messages) {
      const dead = deadLetteredMessage(msg, q.name, reason, dlxName, q.settings.deadLetterRoutingKey, now)
      const targets = [...this.route(dlx, dead)]
      for (const t of targets) if (!isDeadLetterCycle(dead, t.name)) t.enqueue(dead)
    }
  }
}

export interface PublishResult {
  /** How many queues the message reached. */
  queues: number
  /** A queue refused it (reject-publish overflow): publisher confirms answer with basic.nack. */
  rejected: boolean
  /** Stores of the durable queues a persistent message reached: its confirm waits for them. */
  stores: QueueStore[]
}

/** CC and BCC header keys (sender-selected distribution), plus BCC keys kept from an earlier hop. */
function senderKeys(headers: FieldTable | undefined, bccKeys: readonly string[] | undefined): string[] {
  const keys: string[] = []
  for (const h of ['CC', 'BCC']) {
    const v = headers?.[h]
    if (Array.isArray(v)) for (const k of v) if (typeof k === 'string') keys.push(k)
  }
  if (bccKeys) keys.push(...bccKeys)
  return keys
}

/** BCC routes but is never delivered. */
function stripBcc(msg: Message): Message {
  const headers = msg.properties.headers
  if (!headers || headers['BCC'] === undefined) return msg
  const { BCC: bcc, ...rest } = headers
  const bccKeys = Array.isArray(bcc) ? bcc.filter((k): k is string => typeof k === 'string') : []
  return msg.with({ properties: { ...msg.properties, headers: rest }, bccKeys })
}
