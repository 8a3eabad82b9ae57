// What a queue is to the rest of the broker, whatever its type (RabbitMQ's rabbit_queue_type behaviour):
// exchanges route to it, consumers and basic.get take from it, channels settle what they took, the
// management API and definitions read it. A queue type (classic today; quorum and stream to come) is a
// module that implements this and registers a QueueType (see queue-type.ts). Nothing outside a type's
// folder names its class.
import { type Clock, type FieldTable, PreconditionFailedError } from '../../shared/index.js'
import type { Consumer } from '../consumer.js'
import type { Binding } from '../exchange/exchange.js'
import type { Message, QueueEntry } from '../message.js'
import type { Policy } from '../policy.js'
import type { QueueStore } from '../ports.js'
import type { MessageStats } from '../stats.js'
import type { QueueDedup } from './queue-dedup.js'
import type { QueueSettings } from './queue-settings.js'

export interface QueueOptions {
  readonly name: string
  readonly vhost: string
  readonly durable: boolean
  readonly autoDelete: boolean
  /** Id of the owning connection for exclusive queues. */
  readonly exclusiveOwner: number | undefined
  readonly args: FieldTable
}

export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit'

/** A message taken by basic.get, and what its delivery must wait for (see Queue.get). */
export interface Taken {
  readonly entry: QueueEntry
  readonly wait: Promise<void> | undefined
}

/**
 * What a publisher confirm waits for: it resolves once everything the queue accepted before the call is
 * safe (fsynced today; replicated in a cluster), and many publishes share one (a group commit).
 */
export interface DurabilityTicket {
  flush(): Promise<void>
}

/**
 * What enqueue tells the publisher: false when the queue refused the message (reject-publish overflow),
 * true when it took it, or the ticket a confirm must wait for. No object per publish.
 */
export type Enqueued = boolean | DurabilityTicket

/** What a queue needs from its vhost. */
export interface QueueHost {
  readonly clock: Clock
  /** The queue is unused (auto-delete or x-expires) and should go. */
  autoDeleteQueue(q: Queue): void
  /**
   * Routes messages that leave the queue for `reason` to its dead-letter exchange, if any. A returned
   * promise resolves once the copies are durable: only then may the originals leave the queue's store.
   * With `untaken` (at-least-once), the indexes of the messages no queue took are added to it.
   */
  deadLetter(
    q: Queue,
    messages: readonly Message[],
    reason: DeadLetterReason,
    untaken?: number[],
  ): Promise<void> | undefined
  /** Memory is short: queues page messages out of memory. */
  readonly memoryPressure: boolean
  /** The store of a durable queue, or undefined when the broker keeps nothing on disk. */
  storeFor(q: Queue): QueueStore | undefined
  /** A store for a non-durable queue to page into, or undefined when the broker keeps nothing on disk. */
  pagingStoreFor(q: Queue): QueueStore | undefined
  /** The queue's store failed while `doing` something: report it. */
  storeFailed(q: Queue, err: unknown, doing: string): void
}

export interface Queue {
  /** Tells queues from exchanges among binding destinations. */
  readonly kind: 'queue'
  /** Its x-queue-type: 'classic', ... */
  readonly type: string
  readonly name: string
  readonly vhost: string
  readonly durable: boolean
  readonly autoDelete: boolean
  readonly exclusiveOwner: number | undefined
  readonly args: FieldTable
  /** Arguments and policies resolved into the settings in effect. */
  readonly settings: QueueSettings
  readonly policy: Policy | undefined
  readonly operatorPolicy: Policy | undefined
  readonly incomingSet: Set<Binding>
  /** Bindings to this queue (a copy). */
  readonly incoming: Binding[]
  /** Sorted by consumer priority, highest first. */
  readonly consumers: readonly Consumer[]
  /** Publish epoch in which this queue was last routed to; dedupes fan-in without a Set. */
  routeMark: number
  readonly deleted: boolean
  /** Message counters for the management API. */
  readonly stats: MessageStats
  /** The keys of an x-message-deduplication queue; undefined for a queue without the argument. */
  readonly deduplication?: QueueDedup | undefined
  /**
   * Whether a channel's global prefetch (basic.qos global) limits this queue's consumers. A quorum
   * queue's do not: it refuses a consumer on such a channel, and ignores one set after consuming.
   */
  readonly supportsGlobalQos: boolean

  readonly readyCount: number
  readonly unackedCount: number
  readonly messageCount: number
  readonly readyByteCount: number
  readonly unackedByteCount: number
  /** Messages returned with requeue that wait for their retry backoff (not ready, not unacked). */
  readonly delayedCount: number
  /** Ready messages whose bodies are on disk only. */
  readonly pagedOutCount: number
  /** Body bytes of the queue's messages held in memory: ready ones not paged out, and unacked ones. */
  readonly memoryBytes: number
  readonly consumerCount: number
  /** The consumer that receives messages of a single-active-consumer queue. */
  readonly activeConsumer: Consumer | undefined

  // ---- publishing ----
  /** Adds a message (see Enqueued). */
  enqueue(message: Message): Enqueued
  /** Publishers into this queue should wait until whenDrained (credit flow). */
  readonly congested: boolean
  whenDrained(resume: () => void): void

  // ---- consuming ----
  /** Refuses a consumer that exclusivity rules out (403). */
  checkConsumable(c: Consumer): void
  addConsumer(c: Consumer): void
  removeConsumer(c: Consumer): void
  /** A consumer may take messages again (acks freed prefetch, a socket drained). */
  dispatch(): void
  /** basic.get: the head message, if any. */
  get(noAck: boolean): Taken | undefined
  /** basic.get must first wait for pageIn(): the head of the queue is on disk only. */
  readonly waitingForPageIn: boolean
  pageIn(): Promise<void>

  // ---- settling what consumers took ----
  settle(entry: QueueEntry): void
  /** Rejected or nacked without requeue: dead-lettered as 'rejected'. */
  discard(entries: readonly QueueEntry[]): void
  /**
   * Back to the queue. `rejected`: by a reject or nack with requeue (which a retry backoff delays),
   * rather than by a closed channel, basic.recover or the management API's get with requeue.
   */
  requeue(entries: readonly QueueEntry[], rejected?: boolean): void

  // ---- management ----
  /** Drops every ready message; returns how many. */
  purge(): number
  /** Checks delete's if-unused and if-empty conditions. */
  checkDeletable(ifUnused: boolean, ifEmpty: boolean): void
  /** Marks the queue deleted, cancels its consumers and drops its messages. */
  destroy(): void
  /** A policy change: the settings are recomputed and take effect now. */
  applyPolicies(policy: Policy | undefined, operatorPolicy: Policy | undefined): void
  /** Memory is short: move what can be moved out of memory. */
  pageOutExcess(): void

  // ---- lifecycle ----
  /** At startup: reads back what the queue's store holds; `progress` is called per message it keeps. */
  recover(progress: (msg: Message) => void): Promise<void>
  /** Resolves once messages on their way out (dead-lettering) have left the queue's store. */
  movesSettled(): Promise<void>
  /** A use RabbitMQ counts for x-expires (a redeclare, passive or not): the countdown starts again. */
  touch(): void
  /** The broker is stopping: no timer may fire after the stores have closed. */
  stop(): void
}

/** Queues and exchanges are both binding destinations; this tells them apart. */
export function isQueue(d: { readonly kind: string }): d is Queue {
  return d.kind === 'queue'
}

/**
 * queue.delete's if-unused and if-empty, with RabbitMQ's wording, for any queue type. Only ready
 * messages count, as in RabbitMQ: unacked ones do not make a queue "not empty".
 */
export function checkDeleteConditions(q: Queue, ifUnused: boolean, ifEmpty: boolean): void {
  if (ifUnused && q.consumerCount > 0) {
    throw new PreconditionFailedError(`queue '${q.name}' in vhost '${q.vhost}' in use`)
  }
  if (ifEmpty && q.readyCount > 0) {
    throw new PreconditionFailedError(`queue '${q.name}' in vhost '${q.vhost}' not empty`)
  }
}
