// A virtual host: its exchanges, queues and bindings, and the routing of a publish to queues. Every
// check that RabbitMQ makes on declare/delete/bind (reserved names, equivalence, exclusivity) is made
// here with RabbitMQ's wording, so that any protocol front end gives the same answers.
import {
  AccessRefusedError,
  type Clock,
  type FieldTable,
  type Logger,
  NotFoundError,
  PreconditionFailedError,
  describeType,
} from '../shared/index.js'
import {
  type Binding,
  defaultExchangeTypes,
  type Destination,
  Exchange,
  type ExchangeHost,
  type ExchangeTypes,
} from './exchange/index.js'
import type { MemoryPressure } from './broker.js'
import type { Limits } from './limits.js'
import type { Message } from './message.js'
import type { DurabilityListener, QueueStore } from './ports.js'
import { routeDeadLetters } from './dead-letter.js'
import { type ExchangeDeclare, generateName, type QueueDeclare, STANDARD_EXCHANGES } from './declarations.js'
import { DefaultExchange, isReplyQueueName, replyQueueOptions } from './reply-to.js'
import { type PublishResult, Router } from './router.js'
import { matchPolicy, type Policy, validatePolicy } from './policy.js'
import { TRACE_EXCHANGE } from './trace.js'
import { ChurnCounters, MessageStats, VhostCounters } from './stats.js'
import { checkExchangeEquivalence, checkExclusive, checkQueueRedeclare } from './equivalence.js'
import {
  type DeadLetterReason,
  type DurabilityTicket,
  type Queue,
  type QueueHost,
  type QueueTypes,
  defaultQueueTypes,
} from './queue-types/index.js'

const DEFAULT_EXCHANGE_REFUSAL = (): AccessRefusedError =>
  new AccessRefusedError('operation not permitted on the default exchange')

const quote = (name: string, vhost: string, what: string): string => `${what} '${name}' in vhost '${vhost}'`

export class VHost implements QueueHost, ExchangeHost {
  readonly exchanges = new Map<string, Exchange>()
  readonly queues = new Map<string, Queue>()
  /** Firehose tracing (see trace.ts): set through the management API or `warren ctl trace_on`. */
  tracing = false
  readonly policies = new Map<string, Policy>()
  readonly operatorPolicies = new Map<string, Policy>()
  /** Direct reply-to consumers' private queues, by the key after 'amq.rabbitmq.reply-to.'. */
  readonly replyQueues = new Map<string, Queue>()
  /** Publish-side counters, plus the delivery counters of deleted queues (see core/stats.ts). */
  readonly stats = new MessageStats()
  /** Counters for Prometheus (confirm-mode publishes, dead letters by reason). */
  readonly counters = new VhostCounters()
  /**
   * The vhost-limits parameter (see limits.ts): undefined until one is set; clearing every limit leaves
   * it empty rather than gone, as in RabbitMQ, which lists such a vhost with `"value": []`.
   */
  limits: Limits | undefined = undefined
  private readonly router = new Router(this.exchanges)

  constructor(
    readonly name: string,
    readonly clock: Clock,
    private readonly durability?: DurabilityListener,
    readonly logger?: Logger,
    private readonly memory: MemoryPressure = { paging: false },
    private readonly queueTypes: QueueTypes = defaultQueueTypes(),
    /** The exchange types declares may ask for. */
    readonly exchangeTypes: ExchangeTypes = defaultExchangeTypes(),
    /** The broker's queue churn counters (declared, created, deleted). */
    private readonly churn: ChurnCounters = new ChurnCounters(),
  ) {
    this.exchanges.set('', new DefaultExchange(name, this.queues, this.replyQueues))
    for (const [n, type, internal] of STANDARD_EXCHANGES) {
      this.exchanges.set(
        n,
        exchangeTypes
          .get(type)
          .create({ name: n, vhost: name, durable: true, autoDelete: false, internal, args: {} }, this),
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
      checkExchangeEquivalence(existing, d)
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
    const type = this.exchangeTypes.get(d.type)
    const opts = { ...d, vhost: this.name }
    type.validate?.(opts)
    const ex = type.create(opts, this)
    ex.policy = matchPolicy(this.policies.values(), 'exchange', ex.name)
    this.exchanges.set(d.name, ex)
    if (ex.durable) this.durability?.definitionsChanged()
    return ex
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
    if (ifUnused && ex.bindingCount > 0) {
      throw new PreconditionFailedError(`${quote(name, this.name, 'exchange')} in use`)
    }
    this.removeExchange(ex)
  }

  private removeExchange(ex: Exchange): void {
    ex.deleted = true
    this.exchanges.delete(ex.name)
    for (const b of ex.bindings) this.removeBinding(b)
    for (const b of ex.incoming) this.removeBinding(b)
    this.dropHeld(ex)
    if (ex.durable) this.durability?.definitionsChanged()
  }

  /** Drops what an exchange holds (a deleted exchange's, or every exchange's of a deleted vhost). */
  dropHeld(ex: Exchange): void {
    ex.dispose()
    if (ex.durable) this.durability?.exchangeDeleted(this.name, ex.name)
  }

  exchangeStore(ex: Exchange): QueueStore | undefined {
    return ex.durable ? this.durability?.exchangeStoreFor(this.name, ex.name) : undefined
  }

  releaseHeld(ex: Exchange, msg: Message): { tickets: readonly DurabilityTicket[]; queues: number } {
    const result = this.router.publish(ex, msg, this.tracing)
    if (result.queues > 0) ex.stats.publishOut++
    return { tickets: [...result.tickets], queues: result.queues }
  }

  // ---- queues ----

  /** `connectionId` is the declaring connection; `d.exclusiveOwner` is set when it asks for exclusive. */
  declareQueue(d: QueueDeclare, connectionId: number): Queue {
    const existing = this.queues.get(d.name)
    if (d.passive) {
      if (!existing) throw new NotFoundError(`no ${quote(d.name, this.name, 'queue')}`)
      checkExclusive(existing, connectionId)
      existing.touch() // a redeclare renews x-expires, as in RabbitMQ
      return existing
    }
    if (existing) {
      checkExclusive(existing, connectionId, d.exclusiveOwner ?? -1)
      checkQueueRedeclare(existing, d, this.queueTypes)
      existing.touch()
      this.churn.queuesDeclared++
      return existing
    }
    if (d.name.startsWith('amq.') && !d.serverNamed) {
      throw new AccessRefusedError(`queue name '${d.name}' contains reserved prefix 'amq.*'`)
    }
    const type = this.queueTypes.resolve(d.args)
    type.validateArgs(d.name, this.name, d.args, {
      durable: d.durable,
      autoDelete: d.autoDelete,
      exclusive: d.exclusiveOwner !== undefined,
      serverNamed: d.serverNamed === true || d.name === '',
    })
    const name = d.name === '' ? generateName('amq.gen-') : d.name
    const q = type.create({ ...d, name, vhost: this.name }, this)
    this.applyPoliciesTo(q)
    this.queues.set(name, q)
    this.churn.queuesDeclared++
    this.churn.queuesCreated++
    if (q.durable) this.durability?.definitionsChanged()
    return q
  }

  /** The queue for an operation from `connectionId`; 404 if missing, 405 if another's exclusive queue. */
  getQueue(name: string, connectionId: number): Queue {
    const q = this.queues.get(name)
    if (!q) throw new NotFoundError(`no ${quote(name, this.name, 'queue')}`)
    checkExclusive(q, connectionId)
    return q
  }

  deleteQueue(name: string, connectionId: number, ifUnused: boolean, ifEmpty: boolean): number {
    const q = this.queues.get(name)
    if (!q) return 0 // RabbitMQ answers delete-ok with a count of 0 for a queue that does not exist
    checkExclusive(q, connectionId)
    q.checkDeletable(ifUnused, ifEmpty)
    return this.removeQueue(q)
  }

  /** Removes a queue with its bindings; returns how many ready messages it held. */
  removeQueue(q: Queue): number {
    if (q.deleted) return 0
    // delete-ok reports the ready messages, as RabbitMQ does (unacked ones are not counted).
    const n = q.readyCount
    this.queues.delete(q.name)
    this.churn.queuesDeleted++
    for (const b of q.incoming) this.removeBinding(b)
    q.destroy()
    this.stats.addDeliveries(q.stats)
    if (this.durability) {
      this.durability.queueDeleted(q)
      if (q.durable) this.durability.definitionsChanged()
    }
    return n
  }

  get memoryPressure(): boolean {
    return this.memory.paging
  }

  storeFor(q: Queue): QueueStore | undefined {
    return this.durability?.storeFor(q)
  }

  pagingStoreFor(q: Queue): QueueStore | undefined {
    // Direct reply-to queues share one name and hand messages straight to their consumer: never paged.
    return this.queues.get(q.name) === q ? this.durability?.pagingStoreFor(q) : undefined
  }

  autoDeleteQueue(q: Queue): void {
    this.removeQueue(q)
  }

  /** Exclusive queues die with their connection. */
  connectionClosed(connectionId: number): void {
    for (const q of [...this.queues.values()]) if (q.exclusiveOwner === connectionId) this.removeQueue(q)
  }

  // ---- policies ----

  /**
   * Adds or replaces a policy (operator: an operator policy) and applies it to existing objects now.
   * `stored`: read back from disk, so its pattern is not checked again (see validatePolicy).
   */
  setPolicy(p: Policy, operator: boolean, stored = false): void {
    validatePolicy(p, operator, !stored)
    ;(operator ? this.operatorPolicies : this.policies).set(p.name, p)
    this.reapplyPolicies()
  }

  /** Removes a policy; returns false when there was none by that name. */
  clearPolicy(name: string, operator: boolean): boolean {
    const removed = (operator ? this.operatorPolicies : this.policies).delete(name)
    if (removed) this.reapplyPolicies()
    return removed
  }

  private reapplyPolicies(): void {
    for (const q of this.queues.values()) this.applyPoliciesTo(q)
    for (const ex of this.exchanges.values())
      ex.policy = matchPolicy(this.policies.values(), 'exchange', ex.name)
    this.durability?.definitionsChanged()
  }

  private applyPoliciesTo(q: Queue): void {
    q.applyPolicies(
      matchPolicy(this.policies.values(), 'queue', q.name),
      matchPolicy(this.operatorPolicies.values(), 'queue', q.name),
    )
  }

  // ---- direct reply-to (reply-to.ts) ----

  openReplyQueue(key: string, connectionId: number): Queue {
    const q = this.queueTypes.resolve({}).create(replyQueueOptions(this.name, connectionId), this)
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
    return isReplyQueueName(name, this.replyQueues)
  }

  // ---- bindings ----

  /** Returns whether the binding is new (binding twice is not an error, and changes nothing). */
  bind(source: Exchange, dest: Destination, routingKey: string, args: FieldTable): boolean {
    if (source.name === '') throw DEFAULT_EXCHANGE_REFUSAL()
    this.exchangeTypes.get(source.type).validateBinding?.(args, routingKey)
    source.checkBinding(args, routingKey)
    const added = source.bind(dest, routingKey, args) !== undefined
    if (added && source.durable && dest.durable) this.durability?.definitionsChanged()
    return added
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
    if (src.autoDelete && !src.deleted && src.bindingCount === 0) this.removeExchange(src)
  }

  // ---- publishing ----

  /**
   * Routes a message from an exchange and enqueues it on every queue reached (see router.ts). The result
   * object is reused: read it before the next publish.
   */
  publish(ex: Exchange, msg: Message): PublishResult {
    const result = this.router.publish(ex, msg, this.tracing)
    this.stats.publish++
    ex.stats.publishIn++
    if (result.queues > 0) ex.stats.publishOut++
    return result
  }

  /** The stores of the exchanges that kept the last routed message for later (see Router). */
  get heldTickets(): readonly DurabilityTicket[] {
    return this.router.heldTickets
  }

  /** The queues a message from `ex` reaches (a reused array: read it before the next route). */
  route(ex: Exchange, msg: Message): Queue[] {
    return this.router.route(ex, msg)
  }

  storeFailed(q: Queue, err: unknown, doing: string): void {
    this.logger?.error({ err, vhost: this.name, queue: q.name }, `message store failed: ${doing}`)
  }

  /** Publishes a firehose trace message to amq.rabbitmq.trace, when that exchange exists. */
  publishTrace(trace: Message | undefined): void {
    const ex = trace && this.exchanges.get(TRACE_EXCHANGE)
    if (!ex || !trace) return
    // Not publish(): a delivery trace happens inside another publish, whose result must stay intact.
    for (const q of [...this.route(ex, trace)]) q.enqueue(trace)
  }

  // ---- dead-lettering ----

  /** See routeDeadLetters (dead-letter.ts). */
  deadLetter(
    q: Queue,
    messages: readonly Message[],
    reason: DeadLetterReason,
    untaken?: number[],
  ): Promise<void> | undefined {
    return routeDeadLetters(this, q, messages, reason, untaken)
  }
}
