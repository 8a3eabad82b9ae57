// A classic queue: ready messages in publish order (or by priority), consumers served round-robin
// within the highest consumer priority that can take a message, unacked messages tracked by count (the
// entries live with the consuming channel). Requeued messages return to their original position.
// Message TTL, max-length overflow and dead-lettering follow RabbitMQ 3.10's classic queues: expired
// messages leave from the head of the queue only. Members the Queue interface documents are not
// documented again here; the dispatch loop, the disk backing, dead-letter moves, limits and counts are
// in the files beside this one.
import type { FieldTable } from '../../../shared/index.js'
import type { Consumer } from '../../consumer.js'
import type { Binding } from '../../exchange/exchange.js'
import type { MessageStats } from '../../stats.js'
import type { Message, QueueEntry } from '../../message.js'
import type { QueueStore } from '../../ports.js'
import type { Policy } from '../../policy.js'
import {
  checkDeleteConditions,
  type DeadLetterReason,
  type Enqueued,
  type Queue,
  type QueueHost,
  type QueueOptions,
  type Taken,
} from '../queue.js'
import type { QueueSettings } from '../queue-settings.js'
import { QueueDedup, wantsDeduplication } from '../queue-dedup.js'
import { DeadLetterMoves } from './dead-letter-moves.js'
import { Dispatcher } from './dispatcher.js'
import { dropOverLimit, expiryFor, takeExpired, wouldRejectPublish } from './overflow.js'
import { QueueCounts } from './queue-counts.js'
import { recoveredEntry } from './recovery.js'
import { QueueTimers } from './queue-timers.js'
import type { ReadyMessages } from './ready-messages.js'
import { QueueBacking } from './backing.js'
import { CLASSIC, type QueueFlavour } from './flavour.js'
import { withoutDeliveryCount } from './delivery-count.js'
import { Returns } from './returns.js'

export class ClassicQueue implements Queue {
  readonly kind = 'queue' as const
  readonly type: string
  readonly name: string
  readonly vhost: string
  readonly durable: boolean
  readonly autoDelete: boolean
  readonly exclusiveOwner: number | undefined
  readonly args: FieldTable
  settings: QueueSettings
  /** The user policy and operator policy in effect (see VHost.applyPolicies). */
  policy: Policy | undefined
  operatorPolicy: Policy | undefined
  readonly incomingSet = new Set<Binding>()
  routeMark = 0
  deleted = false
  /** Unacked counts and message rates (queue-counts.ts). */
  private readonly counts = new QueueCounts()
  readonly stats: MessageStats = this.counts.stats
  readonly supportsGlobalQos: boolean
  /** The durable log of a durable queue; persistent messages are appended to it. */
  private readonly store: QueueStore | undefined

  private readonly backing: QueueBacking
  private readonly ready: ReadyMessages
  private nextSeq = 0
  private hadConsumer = false
  private readonly dispatcher: Dispatcher
  private readonly timers: QueueTimers
  private readonly moves: DeadLetterMoves
  /** Delivery counts and retry backoff (returns.ts); used only when the queue counts returns. */
  private readonly returns: Returns
  /**
   * x-message-deduplication (argument or policy): the keys of the messages in the queue; undefined when
   * off. A policy that turns it on knows the keys of messages enqueued from then on (and, after a
   * restart, of every message the queue recovered).
   */
  deduplication: QueueDedup | undefined
  /** Returns are counted (a delivery limit, or a flavour that counts every return); see `requeue`. */
  private counting = false
  /** The flavour's storesEveryMessage, read per publish of a transient message into a durable queue. */
  private readonly storesAll: boolean

  constructor(
    opts: QueueOptions,
    protected readonly host: QueueHost,
    private readonly flavour: QueueFlavour = CLASSIC,
  ) {
    this.type = flavour.type
    this.storesAll = flavour.storesEveryMessage
    this.supportsGlobalQos = flavour.supportsGlobalQos
    this.name = opts.name
    this.vhost = opts.vhost
    this.durable = opts.durable
    this.autoDelete = opts.autoDelete
    this.exclusiveOwner = opts.exclusiveOwner
    this.args = opts.args
    this.settings = this.resolve(undefined, undefined)
    this.deduplication = wantsDeduplication(opts.args, undefined) ? new QueueDedup() : undefined
    this.timers = new QueueTimers(
      host.clock,
      () => this.expireHead(),
      () => {
        if (this.consumerCount === 0 && !this.deleted) this.host.autoDeleteQueue(this)
      },
    )
    this.backing = new QueueBacking(this, host, () => {
      this.enforceMaxLength()
      this.expireHead()
      this.dispatch()
    })
    this.store = this.backing.durable
    this.ready = this.backing.ready
    this.dispatcher = new Dispatcher(this.ready, {
      takeLive: () => {
        this.expireHead()
        return this.ready.shift()
      },
      handOut: (entry, c) => {
        const wait = this.handedOut(entry, c.noAck)
        this.counts.delivered(entry, c.noAck)
        c.deliver(this, entry, wait)
      },
      expireHead: () => this.expireHead(),
    })
    this.dispatcher.singleActive = this.settings.singleActiveConsumer
    this.moves = new DeadLetterMoves({
      isDeleted: () => this.deleted,
      backing: () => this.backing.store,
      deadLetter: (messages, reason, untaken) => {
        if (this.deduplication) for (const m of messages) this.deduplication.left(m)
        return this.host.deadLetter(this, messages, reason, untaken)
      },
      keepsUntaken: () => this.keepsUntakenDeadLetters(),
      keep: (entries, reason) => this.keepDeadLetters(entries, reason),
      forget: (entry) => this.forget(entry),
      storeFailed: (err, doing) => this.host.storeFailed(this, err, doing),
    })
    this.returns = this.newReturns()
    this.touch()
  }

  private newReturns(): Returns {
    return new Returns({
      clock: this.host.clock,
      settings: () => this.settings,
      durable: () => this.store,
      storesEveryMessage: this.storesAll,
      backing: () => this.backing.store,
      isDeleted: () => this.deleted,
      restore: (e) =>
        this.flavour.requeueAtBack ? this.accept({ ...e, seq: this.nextSeq++ }) : this.ready.restore(e),
      retryDue: (e) => {
        // Its TTL kept running while it waited (LavinMQ's rule too): an expired message goes now.
        if (e.expiresAt <= this.host.clock.now()) this.moves.move([e], 'expired')
        else this.accept({ ...e, seq: this.nextSeq++ })
      },
      exceeded: (entries) => this.moves.move(entries, 'delivery_limit'),
      storeFailed: (err, doing) => this.host.storeFailed(this, err, doing),
    })
  }

  /** At-least-once dead-lettering: dead letters no queue took stay (a quorum queue's; see keepDeadLetters). */
  protected keepsUntakenDeadLetters(): boolean {
    return false
  }

  /** Holds dead letters no queue took, to route them again later. */
  protected keepDeadLetters(_entries: QueueEntry[], _reason: DeadLetterReason): void {}

  /** Routes entries that left the queue to its dead-letter exchange (again). */
  protected deadLetterEntries(entries: QueueEntry[], reason: DeadLetterReason): void {
    if (!this.deleted) this.moves.move(entries, reason)
  }

  /** Memory is short: the part of the window a paging queue would not keep in memory goes to disk. */
  pageOutExcess(): void {
    this.backing.pageOutExcess()
  }

  get readyCount(): number {
    return this.ready.length
  }
  get unackedCount(): number {
    return this.counts.unacked
  }
  get messageCount(): number {
    return this.ready.length + this.counts.unacked
  }
  get readyByteCount(): number {
    return this.ready.bytes
  }
  get delayedCount(): number {
    return this.returns.waiting
  }
  get pagedOutCount(): number {
    return this.ready.pagedOut
  }
  get memoryBytes(): number {
    return this.ready.inMemoryBytes + this.counts.unackedByteCount + this.returns.bytes
  }
  get unackedByteCount(): number {
    return this.counts.unackedByteCount
  }
  get consumers(): readonly Consumer[] {
    return this.dispatcher.consumers.all
  }

  get consumerCount(): number {
    return this.consumers.length
  }

  /** A policy change: settings are recomputed and the new limits and timers take effect now. */
  applyPolicies(policy: Policy | undefined, operatorPolicy: Policy | undefined): void {
    this.policy = policy
    this.operatorPolicy = operatorPolicy
    this.settings = this.resolve(policy, operatorPolicy)
    this.dispatcher.singleActive = this.settings.singleActiveConsumer
    const dedup = wantsDeduplication(this.args, policy?.definition)
    if (dedup !== (this.deduplication !== undefined))
      this.deduplication = dedup ? new QueueDedup() : undefined
    if (this.deleted) return
    this.enforceMaxLength()
    this.expireHead()
    this.touch()
    this.pageOutExcess()
  }

  private resolve(policy: Policy | undefined, operatorPolicy: Policy | undefined): QueueSettings {
    const settings = this.flavour.settings(this.args, policy, operatorPolicy)
    this.counting = this.flavour.countsEveryReturn || settings.deliveryLimit !== undefined
    return settings
  }

  get incoming(): Binding[] {
    return [...this.incomingSet]
  }

  /** Whether reject-publish overflow refuses this publish (asked once per publish, before enqueueing). */
  protected refuses(message: Message): boolean {
    return wouldRejectPublish(this.settings, this.ready, message)
  }

  /**
   * Adds a message at the tail and starts delivery. Returns false when overflow refused it
   * (reject-publish); with reject-publish-dlx the refused message is dead-lettered.
   */
  enqueue(published: Message): Enqueued {
    // One header lookup per publish, and only into a queue that counts deliveries.
    const message = this.counting ? withoutDeliveryCount(published) : published
    if (this.refuses(message)) {
      if (this.settings.overflow === 'reject-publish-dlx')
        void this.host.deadLetter(this, [message], 'maxlen')
      return false
    }
    // A duplicate is taken (the publisher's confirm acks it) and dropped.
    if (this.deduplication && !this.deduplication.admit(message)) return true
    const expiresAt = expiryFor(this.settings, message, this.host.clock)
    const stored = this.store !== undefined && (message.persistent || this.storesAll)
    const entry: QueueEntry = {
      message,
      seq: this.nextSeq++,
      redelivered: false,
      expiresAt,
      storeId: stored ? (this.store as QueueStore).append(message, storedExpiry(expiresAt)) : -1,
    }
    this.stats.publish++
    this.accept(entry)
    // A persistent message in a durable queue is confirmed once its store has flushed (group commit).
    return stored ? (this.store as QueueStore) : true
  }

  /** Delivered now if a consumer can take it, else it waits (and expires from the head). */
  private accept(entry: QueueEntry): void {
    if (this.dispatcher.deliverDirect(entry)) return
    this.ready.push(entry)
    if (this.consumerCount > 0) this.dispatch()
    if (entry.expiresAt !== Infinity) this.expireHead()
    this.enforceMaxLength()
  }

  /** drop-head overflow: the oldest ready messages make room (and are dead-lettered as maxlen). */
  private enforceMaxLength(): void {
    const dropped = dropOverLimit(this.settings, this.ready)
    if (dropped) this.moves.move(dropped, 'maxlen')
  }

  /** Resolves once every message moving to a dead-letter queue has left this queue's store. */
  movesSettled(): Promise<void> {
    return this.moves.settled()
  }

  get waitingForPageIn(): boolean {
    return this.ready.waitingForPageIn
  }

  pageIn(): Promise<void> {
    return this.ready.pageIn()
  }

  /**
   * basic.get: the head message, or undefined. In ack mode it counts as unacked until settled. The
   * delivery must not leave the broker before `wait` (if any) resolves (see handedOut).
   */
  get(noAck: boolean): Taken | undefined {
    this.touch()
    this.expireHead()
    const entry = this.ready.shift()
    this.counts.got(entry, noAck)
    if (!entry) return undefined
    const wait = this.handedOut(entry, noAck)
    // Expired messages that are now at the head go before get-ok reports the remaining count.
    this.expireHead()
    return { entry, wait }
  }

  /**
   * An entry left for a consumer: counted unacked, or gone for good when no ack will come. A stored
   * message is marked delivered first; the returned promise, if any, is what the delivery must wait for
   * so that a crash cannot bring it back flagged as never delivered.
   */
  private handedOut(entry: QueueEntry, noAck: boolean): Promise<void> | undefined {
    const wait = entry.redelivered
      ? this.returns.leaseOf(entry)
      : // Only a persistent message in a durable queue comes back after a crash, so only it is marked.
        entry.storeId !== -1 && (entry.message.persistent || this.storesAll)
        ? this.store?.markDelivered(entry.storeId)
        : undefined
    if (noAck) this.forget(entry)
    else this.counts.unacked++
    return wait
  }

  /** The entry leaves the queue for good: its stored copy is dropped. Returns its message. */
  private forget(entry: QueueEntry): Message {
    if (entry.storeId !== -1) this.backing.store?.remove(entry.storeId)
    this.deduplication?.left(entry.message)
    return entry.message
  }

  /** An unacked entry was acked: it leaves the queue for good. */
  settle(entry: QueueEntry): void {
    this.stats.ack++
    this.counts.released(entry)
    this.forget(entry)
  }

  /** An unacked entry was rejected or nacked without requeue: dead-letter it as 'rejected'. */
  discard(entries: readonly QueueEntry[]): void {
    for (const e of entries) this.counts.released(e)
    if (this.deleted) for (const e of entries) this.forget(e)
    else if (entries.length > 0) this.moves.move(entries, 'rejected')
  }

  /**
   * Unacked entries go back to their original places, flagged redelivered. In a queue with a delivery
   * limit each return is counted first (returns.ts): past the limit the message is dead-lettered, and a
   * reject or nack with a retry backoff waits before it is ready again.
   */
  requeue(entries: readonly QueueEntry[], rejected = false): void {
    const counted = this.counting
    for (const e of entries) {
      this.counts.released(e)
      if (this.deleted) continue
      e.redelivered = true
      if (!counted) this.ready.restore(e)
    }
    if (this.deleted) return
    if (counted) this.returns.returned(entries, rejected)
    this.dispatch()
    this.expireHead()
  }

  checkConsumable(c: Consumer): void {
    this.dispatcher.consumers.check(c, this.name, this.vhost)
  }

  addConsumer(c: Consumer): void {
    this.checkConsumable(c)
    this.dispatcher.consumers.add(c)
    this.hadConsumer = true
    this.touch()
    this.dispatch()
  }

  removeConsumer(c: Consumer): void {
    const i = this.dispatcher.consumers.remove(c)
    if (i < 0) return
    this.dispatcher.consumerLeft()
    this.touch()
    if (this.autoDelete && this.hadConsumer && this.consumerCount === 0) this.host.autoDeleteQueue(this)
    else if (this.settings.singleActiveConsumer && i === 0) this.dispatch()
  }

  get activeConsumer(): Consumer | undefined {
    return this.settings.singleActiveConsumer ? this.consumers[0] : undefined
  }

  /**
   * Drops every ready message and those waiting for a retry (held back, but still the queue's own);
   * returns how many. Unacked messages are untouched, as in RabbitMQ.
   */
  purge(): number {
    const { count, storeIds } = this.ready.clear()
    const waiting = this.returns.clear()
    this.deduplication?.clear()
    const store = this.backing.store
    if (store) for (let k = 0; k < storeIds.length; k++) store.remove(storeIds[k] as number)
    if (store) for (const e of waiting) if (e.storeId !== -1) store.remove(e.storeId)
    return count + waiting.length
  }

  /** At startup: every message of the queue's store, in store order; then what expired meanwhile goes. */
  async recover(progress: (msg: Message) => void): Promise<void> {
    await this.store?.recover((m) => {
      const entry = recoveredEntry(m, this.nextSeq++, this.storesAll)
      if (!entry) return this.store?.remove(m.id)
      this.deduplication?.recovered(entry.message)
      if (!this.returns.recovered(entry)) this.ready.push(entry)
      progress(entry.message)
    })
    // Messages whose TTL ran out while the broker was down go now; the next expiry gets its timer.
    this.expireHead()
    this.returns.arm()
  }

  checkDeletable(ifUnused: boolean, ifEmpty: boolean): void {
    checkDeleteConditions(this, ifUnused, ifEmpty)
  }

  destroy(): void {
    this.deleted = true
    this.ready.clear()
    this.returns.clear()
    this.timers.clear()
    for (const c of this.dispatcher.stop()) c.cancelledByQueue(this)
  }

  dispatch(): void {
    this.dispatcher.run()
  }

  get congested(): boolean {
    return this.dispatcher.congested()
  }

  whenDrained(resume: () => void): void {
    this.dispatcher.whenDrained(resume)
  }

  // ---- expiry ----

  /** Drops expired messages at the head (dead-lettered as 'expired') and arms a timer for the next. */
  expireHead(): void {
    const expired = takeExpired(this.ready, this.host.clock)
    if (expired) this.moves.move(expired, 'expired')
    if (!this.deleted) this.timers.armExpiry(this.ready.headExpiresAt())
  }

  /** x-expires: any use restarts the countdown to deleting an unused queue. */
  touch(): void {
    const expires = this.settings.expires
    if (expires === undefined || this.deleted) return
    this.timers.restartUnused(expires, this.consumerCount > 0)
  }

  stop(): void {
    this.timers.clear()
    this.returns.stop()
  }
}

/** The expiry as stores keep it: undefined for none. */
export const storedExpiry = (expiresAt: number): number | undefined =>
  expiresAt === Infinity ? undefined : expiresAt
