// A classic queue: ready messages in publish order, consumers served round-robin, unacked messages
// tracked by count (their entries live with the consuming channel). Requeued messages return to their
// original position, as in RabbitMQ's classic queues.
import {
  type FieldTable,
  type Clock,
  AccessRefusedError,
  PreconditionFailedError,
} from '../../shared/index.js'
import type { Consumer } from '../consumer.js'
import type { Binding } from '../exchange/exchange.js'
import type { Message, QueueEntry } from '../message.js'
import { Deque } from './deque.js'

export interface QueueOptions {
  readonly name: string
  readonly vhost: string
  readonly durable: boolean
  readonly autoDelete: boolean
  /** Id of the owning connection for exclusive queues. */
  readonly exclusiveOwner: number | undefined
  readonly args: FieldTable
}

/** How a queue tells its vhost that it wants to go (auto-delete). */
export interface QueueHost {
  readonly clock: Clock
  autoDeleteQueue(q: Queue): void
}

export class Queue {
  readonly name: string
  readonly vhost: string
  readonly durable: boolean
  readonly autoDelete: boolean
  readonly exclusiveOwner: number | undefined
  readonly args: FieldTable
  readonly incoming: Binding[] = []
  readonly consumers: Consumer[] = []
  /** Publish epoch in which this queue was last routed to; dedupes fan-in without a Set. */
  routeMark = 0
  deleted = false

  private readonly ready = new Deque<QueueEntry>()
  private nextSeq = 0
  private rr = 0
  private unacked = 0
  private readyBytes = 0
  private hadConsumer = false
  private dispatching = false
  private dispatchAgain = false
  private exclusiveConsumer: Consumer | undefined

  constructor(
    opts: QueueOptions,
    private readonly host: QueueHost,
  ) {
    this.name = opts.name
    this.vhost = opts.vhost
    this.durable = opts.durable
    this.autoDelete = opts.autoDelete
    this.exclusiveOwner = opts.exclusiveOwner
    this.args = opts.args
  }

  get readyCount(): number {
    return this.ready.length
  }
  get unackedCount(): number {
    return this.unacked
  }
  get messageCount(): number {
    return this.ready.length + this.unacked
  }
  get readyByteCount(): number {
    return this.readyBytes
  }
  get consumerCount(): number {
    return this.consumers.length
  }

  /** Adds a message at the tail and starts delivery. */
  enqueue(message: Message): QueueEntry {
    const entry: QueueEntry = {
      message,
      seq: this.nextSeq++,
      redelivered: false,
      expiresAt: Infinity,
      storeId: -1,
    }
    this.ready.push(entry)
    this.readyBytes += message.size
    if (this.consumers.length > 0) this.dispatch()
    return entry
  }

  /** basic.get: the head message, or undefined. In ack mode it counts as unacked until settled. */
  get(noAck: boolean): QueueEntry | undefined {
    const entry = this.takeReady()
    if (entry && !noAck) this.unacked++
    return entry
  }

  /** An unacked entry was acked (or rejected/nacked without requeue): it leaves the queue for good. */
  settle(_entry: QueueEntry): void {
    if (this.unacked > 0) this.unacked--
  }

  /** Unacked entries go back to their original places, flagged redelivered. */
  requeue(entries: readonly QueueEntry[]): void {
    if (this.deleted) return
    for (const e of entries) {
      if (this.unacked > 0) this.unacked--
      e.redelivered = true
      this.ready.insertSorted(e, seqOf)
      this.readyBytes += e.message.size
    }
    this.dispatch()
  }

  addConsumer(c: Consumer): void {
    if (this.exclusiveConsumer || (c.exclusive && this.consumers.length > 0)) {
      throw new AccessRefusedError(`queue '${this.name}' in vhost '${this.vhost}' in exclusive use`)
    }
    if (c.exclusive) this.exclusiveConsumer = c
    this.consumers.push(c)
    this.hadConsumer = true
    this.dispatch()
  }

  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c)
    if (i < 0) return
    this.consumers.splice(i, 1)
    if (this.exclusiveConsumer === c) this.exclusiveConsumer = undefined
    if (this.rr > i) this.rr--
    if (this.autoDelete && this.hadConsumer && this.consumers.length === 0) this.host.autoDeleteQueue(this)
  }

  /** Drops every ready message; returns how many. Unacked messages are untouched, as in RabbitMQ. */
  purge(): number {
    const n = this.ready.length
    this.ready.clear()
    this.readyBytes = 0
    return n
  }

  /** Checks delete's if-unused/if-empty conditions (RabbitMQ's wording). */
  checkDeletable(ifUnused: boolean, ifEmpty: boolean): void {
    if (ifUnused && this.consumers.length > 0) {
      throw new PreconditionFailedError(`queue '${this.name}' in vhost '${this.vhost}' in use`)
    }
    if (ifEmpty && this.messageCount > 0) {
      throw new PreconditionFailedError(`queue '${this.name}' in vhost '${this.vhost}' not empty`)
    }
  }

  /** Marks the queue deleted, cancels its consumers and drops its messages; returns the ready count. */
  destroy(): number {
    const n = this.ready.length
    this.deleted = true
    this.ready.clear()
    this.readyBytes = 0
    const consumers = this.consumers.splice(0)
    this.exclusiveConsumer = undefined
    for (const c of consumers) c.cancelledByQueue(this)
    return n
  }

  /** Called when a consumer may take messages again (acks freed prefetch, socket drained). */
  dispatch(): void {
    if (this.dispatching) {
      this.dispatchAgain = true
      return
    }
    this.dispatching = true
    try {
      do {
        this.dispatchAgain = false
        this.deliverReady()
      } while (this.dispatchAgain)
    } finally {
      this.dispatching = false
    }
  }

  private deliverReady(): void {
    while (this.ready.length > 0 && this.consumers.length > 0) {
      const c = this.nextConsumer()
      if (!c) return
      const entry = this.takeReady()
      if (!entry) return
      if (!c.noAck) this.unacked++
      c.deliver(this, entry)
    }
  }

  /** Round-robin over consumers that can take a message now. */
  private nextConsumer(): Consumer | undefined {
    const n = this.consumers.length
    for (let k = 0; k < n; k++) {
      const i = (this.rr + k) % n
      const c = this.consumers[i] as Consumer
      if (c.canTake()) {
        this.rr = (i + 1) % n
        return c
      }
    }
    return undefined
  }

  private takeReady(): QueueEntry | undefined {
    const entry = this.ready.shift()
    if (entry) this.readyBytes -= entry.message.size
    return entry
  }
}

const seqOf = (e: QueueEntry): number => e.seq
