// Who gets a classic queue's next ready message, and when publishers into it must wait. The consumers are
// served in ConsumerList's order; a run hands out messages until the queue is empty or no consumer can
// take one. A delivery can start another dispatch (a consumer that settles synchronously), so a run that
// is asked for again while it runs loops once more instead of recursing.
import type { Consumer } from '../../consumer.js'
import type { QueueEntry } from '../../message.js'
import { ConsumerList } from './consumer-list.js'
import { CreditFlow } from './credit-flow.js'
import type { ReadyMessages } from './ready-messages.js'

export interface DispatchHost {
  /** The head entry that is still live; expired ones at the head go first. */
  takeLive(): QueueEntry | undefined
  /** Gives the entry to the consumer (counted unacked unless no-ack). */
  handOut(entry: QueueEntry, consumer: Consumer): void
  /** Expired messages at the head go (a delivery may have exposed them). */
  expireHead(): void
}

export class Dispatcher {
  readonly consumers = new ConsumerList()
  /** Single active consumer: only the first consumer is served (set from the queue's settings). */
  singleActive = false
  private readonly flow = new CreditFlow()
  private running = false
  private runAgain = false

  constructor(
    private readonly ready: ReadyMessages,
    private readonly host: DispatchHost,
  ) {}

  /**
   * A message just published goes straight to a consumer when none waits ahead of it. Whatever its TTL
   * (TTL 0 means "deliver now or never"); returns false when it must wait in the queue.
   */
  deliverDirect(entry: QueueEntry): boolean {
    if (this.ready.length > 0 || this.consumers.length === 0 || this.running) return false
    const c = this.consumers.next(this.singleActive)
    if (!c) return false
    this.host.handOut(entry, c)
    return true
  }

  /** Called when a consumer may take messages again (acks freed prefetch, socket drained, new consumer). */
  run(): void {
    if (this.running) {
      this.runAgain = true
      return
    }
    this.running = true
    try {
      do {
        this.runAgain = false
        this.deliverReady()
      } while (this.runAgain)
    } finally {
      this.running = false
    }
  }

  /** Publishers into the queue should wait (credit flow, see credit-flow.ts). */
  congested(): boolean {
    return this.flow.congested(this.ready.length)
  }

  whenDrained(resume: () => void): void {
    this.flow.whenDrained(resume)
  }

  /**
   * A consumer left: publishers held back for the queue's consumers are let go, since the one that
   * blocked may be this one (they are held again at their next publish if the queue is still congested).
   */
  consumerLeft(): void {
    this.flow.socketBound = false
    this.flow.release()
  }

  /** The queue is gone: held publishers go; returns the consumers to cancel. */
  stop(): Consumer[] {
    this.flow.release()
    return this.consumers.clear()
  }

  private deliverReady(): void {
    const singleActive = this.singleActive
    let delivered = false
    this.flow.socketBound = false
    while (this.ready.length > 0 && this.consumers.length > 0) {
      const c = this.consumers.next(singleActive)
      if (!c) {
        this.flow.socketBound = this.consumers.anySocketBound()
        break
      }
      const entry = this.host.takeLive()
      if (!entry) break
      this.host.handOut(entry, c)
      delivered = true
    }
    // As after a basic.get: expired messages the deliveries exposed at the head go now.
    if (delivered) this.host.expireHead()
    this.flow.dispatched(this.ready.length)
  }
}
