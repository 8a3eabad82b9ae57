// Messages returned to a queue that counts deliveries (x-delivery-limit, or LavinMQ's delayed retry):
// every return (reject or nack with requeue, a channel or connection closed with the message unacked,
// basic.recover) adds one to the message's x-delivery-count; past the limit it is dead-lettered as
// delivery_limit. With a retry backoff, a message rejected or nacked with requeue is not ready again
// until its delay has passed: it waits here, in a heap ordered by due time, under one timer per queue
// (the earliest due), and then goes to the back of the queue as LavinMQ republishes it. Waiting messages
// hold no place among the ready ones, so the messages behind them keep flowing.
//
// A durable queue persists the new count by appending the updated message to its store and removing the
// earlier copy once the new one is on disk: a crash in between leaves both (at least once, never lost).
// The store keeps no due time, so a message recovered with a count in a queue with retries waits its
// backoff again from the restart (docs/queues.md says so).
import type { Clock, TimerHandle } from '../../../shared/index.js'
import type { QueueEntry } from '../../message.js'
import type { QueueStore } from '../../ports.js'
import type { QueueSettings } from '../queue-settings.js'
import { deliveryCountOf, retryDelay, withDeliveryCount } from './delivery-count.js'

export interface ReturnsHost {
  readonly clock: Clock
  settings(): QueueSettings
  /** The queue's durable store, if it has one. */
  durable(): QueueStore | undefined
  /** Its durable store keeps transient messages too (a quorum queue). */
  readonly storesEveryMessage: boolean
  /** The store its messages are in: the durable one, or a paging store. */
  backing(): QueueStore | undefined
  isDeleted(): boolean
  /** Back to its original place among the ready messages. */
  restore(e: QueueEntry): void
  /** Its retry is due: it is ready again. */
  retryDue(e: QueueEntry): void
  /** Returned once too often: dead-letter them as delivery_limit. */
  exceeded(entries: QueueEntry[]): void
  storeFailed(err: unknown, doing: string): void
}

interface Waiting {
  readonly at: number
  /** Arrival order, so that messages due at the same time leave in the order they came. */
  readonly order: number
  readonly entry: QueueEntry
}

export class Returns {
  private heap: Waiting[] = []
  private arrivals = 0
  private waitingBytes = 0
  private timer: TimerHandle | undefined
  private timerAt = Infinity
  /** Delivery leases of re-stored messages still being written, by store id (see leaseOf). */
  private leases: Map<number, Promise<void>> | undefined

  constructor(private readonly host: ReturnsHost) {}

  /** Messages waiting for their retry (the management API's messages_delayed). */
  get waiting(): number {
    return this.heap.length
  }

  get bytes(): number {
    return this.waitingBytes
  }

  /** Counts a return of each entry: dead-lettered past the limit, else waiting or ready again. */
  returned(entries: readonly QueueEntry[], rejected: boolean): void {
    const s = this.host.settings()
    const limit = s.deliveryLimit ?? Infinity
    // Only a reject or nack waits: a closed channel or basic.recover requeues at once, as in LavinMQ.
    const retry = rejected ? s.retry : undefined
    const now = retry ? this.host.clock.now() : 0
    let over: QueueEntry[] | undefined
    for (const e of entries) {
      const n = deliveryCountOf(e.message) + 1
      if (n > limit) {
        ;(over ??= []).push(e)
        continue
      }
      e.message = withDeliveryCount(e.message, n)
      this.persist(e)
      if (retry) this.wait(e, now + retryDelay(retry, n))
      else this.host.restore(e)
    }
    if (over) this.host.exceeded(over)
    this.arm()
  }

  /**
   * A message read back at startup: when it was returned before (it has a count) and the queue has
   * retries, it waits its backoff again from now. Returns false when it is ready at once.
   */
  recovered(e: QueueEntry): boolean {
    const retry = this.host.settings().retry
    const n = retry ? deliveryCountOf(e.message) : 0
    if (!retry || n === 0) return false
    this.wait(e, this.host.clock.now() + retryDelay(retry, n))
    return true
  }

  /** What a delivery of a re-stored message must wait for: its delivered-mark being safe, if pending. */
  leaseOf(e: QueueEntry): Promise<void> | undefined {
    return this.leases?.get(e.storeId)
  }

  /** Empties the waiting messages (purge, delete); returns them. */
  clear(): QueueEntry[] {
    const out = this.heap.map((w) => w.entry)
    this.heap = []
    this.waitingBytes = 0
    this.arm()
    return out
  }

  /** No timer may fire after the stores have closed. */
  stop(): void {
    if (this.timer) this.host.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  /** Arms the timer for the earliest due retry, unless it is armed for it already. */
  arm(): void {
    const next = this.heap[0]?.at ?? Infinity
    if (next === this.timerAt) return
    this.stop()
    if (next === Infinity || this.host.isDeleted()) return
    this.timerAt = next
    this.timer = this.host.clock.setTimeout(
      () => {
        this.timer = undefined
        this.timerAt = Infinity
        this.releaseDue()
      },
      Math.max(0, next - this.host.clock.now()),
    )
    this.timer.unref?.()
  }

  private releaseDue(): void {
    const now = this.host.clock.now()
    while (this.heap.length > 0 && (this.heap[0] as Waiting).at <= now) {
      const e = this.pop()
      this.waitingBytes -= e.message.size
      this.host.retryDue(e)
    }
    this.arm()
  }

  /**
   * A durable queue's persistent message is stored again with its new count (and marked delivered, so
   * that a restart flags it redelivered); the earlier copy goes once the new one is on disk. A paging
   * store's copy is dropped instead: the message is written again if it is paged out again.
   */
  private persist(e: QueueEntry): void {
    if (e.storeId === -1) return
    const durable = this.host.durable()
    if (!durable || !(e.message.persistent || this.host.storesEveryMessage)) {
      this.host.backing()?.remove(e.storeId)
      e.storeId = -1
      return
    }
    const earlier = e.storeId
    const id = (e.storeId = durable.append(e.message, e.expiresAt === Infinity ? undefined : e.expiresAt))
    const lease = durable.markDelivered(id)
    if (lease) {
      const leases = (this.leases ??= new Map())
      leases.set(id, lease)
      const done = (): void => void leases.delete(id)
      lease.then(done, done)
    }
    durable.flush().then(
      () => {
        if (this.host.isDeleted()) return // a deleted queue dropped its store
        durable.remove(earlier)
        // Written with the next group commit rather than the store's idle flush, so that the window in
        // which a crash leaves both copies is one fsync long rather than a few hundred ms.
        void durable.flush().catch(() => undefined)
      },
      (err: unknown) => this.host.storeFailed(err, 'storing a returned message (the earlier copy is kept)'),
    )
  }

  private wait(entry: QueueEntry, at: number): void {
    this.heap.push({ at, order: this.arrivals++, entry })
    this.waitingBytes += entry.message.size
    siftUp(this.heap, this.heap.length - 1)
  }

  private pop(): QueueEntry {
    const heap = this.heap
    const top = heap[0] as Waiting
    const last = heap.pop() as Waiting
    if (heap.length > 0) {
      heap[0] = last
      siftDown(heap, 0)
    }
    return top.entry
  }
}

const before = (a: Waiting, b: Waiting): boolean => a.at < b.at || (a.at === b.at && a.order < b.order)

function siftUp(heap: Waiting[], k: number): void {
  const item = heap[k] as Waiting
  while (k > 0) {
    const parent = (k - 1) >> 1
    if (!before(item, heap[parent] as Waiting)) break
    heap[k] = heap[parent] as Waiting
    k = parent
  }
  heap[k] = item
}

function siftDown(heap: Waiting[], k: number): void {
  const item = heap[k] as Waiting
  for (;;) {
    let child = 2 * k + 1
    if (child >= heap.length) break
    if (child + 1 < heap.length && before(heap[child + 1] as Waiting, heap[child] as Waiting)) child++
    if (!before(heap[child] as Waiting, item)) break
    heap[k] = heap[child] as Waiting
    k = child
  }
  heap[k] = item
}
