// A channel's acknowledgements (basic.ack, nack, reject, recover) and its transaction (tx.select,
// commit, rollback): outside a transaction a settle reaches the queues at once; inside one, publishes
// and settles wait for tx.commit and are applied in order.
import type { DurabilityTicket, Exchange, Message, MessageStats, Queue, QueueEntry } from '../core/index.js'
import type { Unacked, UnackedTracker } from './unacked.js'

interface TxState {
  publishes: Array<{ exchange: Exchange; msg: Message; mandatory: boolean }>
  settles: Array<{ taken: Unacked[]; ack: boolean; requeue: boolean }>
}

/** What settling needs of its channel. */
export interface SettlementHost {
  readonly unacked: UnackedTracker
  readonly stats: MessageStats
  isClosed(): boolean
  /** Acks free prefetch room: the channel's consumers may be handed more. */
  resumeConsumers(): void
  /** Routes a publish held by the transaction; returns what its durability waits for. */
  routePublish(exchange: Exchange, msg: Message, mandatory: boolean): { tickets: readonly DurabilityTicket[] }
}

export class Settlement {
  txMode = false
  private tx: TxState = { publishes: [], settles: [] }
  private resumeScheduled = false

  constructor(private readonly host: SettlementHost) {}

  ack(tag: number, multiple: boolean): void {
    const taken = this.host.unacked.take(tag, multiple)
    if (this.txMode) {
      this.tx.settles.push({ taken, ack: true, requeue: false })
      return
    }
    this.settleAcked(taken)
    this.scheduleResume()
  }

  reject(tag: number, multiple: boolean, requeue: boolean): void {
    const taken = this.host.unacked.take(tag, multiple)
    if (this.txMode) {
      this.tx.settles.push({ taken, ack: false, requeue })
      return
    }
    this.settleOrRequeue(taken, requeue)
    this.scheduleResume()
  }

  /** basic.recover, and a closing channel: every unacked delivery goes back to its queue. */
  requeueAll(): void {
    this.settleOrRequeue(this.host.unacked.takeAll(), true, false)
  }

  // ---- transactions ----

  selectTx(): void {
    this.txMode = true
  }

  /** Publishes held by the open transaction (the management API's messages_uncommitted). */
  get uncommittedPublishes(): number {
    return this.tx.publishes.length
  }

  /** Acks, nacks and rejects held by the open transaction (acks_uncommitted). */
  get uncommittedSettles(): number {
    return this.tx.settles.length
  }

  /** Holds a publish until tx.commit; false outside a transaction. */
  holdPublish(exchange: Exchange, msg: Message, mandatory: boolean): boolean {
    if (!this.txMode) return false
    this.tx.publishes.push({ exchange, msg, mandatory })
    return true
  }

  /**
   * tx.commit: the transaction's publishes are routed and its acks/nacks/rejects applied, in order. The
   * returned promise (if any) resolves once the persistent messages are on disk: commit-ok waits for it.
   */
  commitTx(): Promise<void> | undefined {
    const { publishes, settles } = this.tx
    this.tx = { publishes: [], settles: [] }
    const tickets = new Set<DurabilityTicket>()
    for (const p of publishes)
      for (const t of this.host.routePublish(p.exchange, p.msg, p.mandatory).tickets) tickets.add(t)
    for (const s of settles) {
      if (s.ack) this.settleAcked(s.taken)
      else this.settleOrRequeue(s.taken, s.requeue)
    }
    this.scheduleResume()
    if (tickets.size === 0) return undefined
    return Promise.all([...tickets].map((t) => t.flush())).then(() => undefined)
  }

  /** tx.rollback: publishes are dropped; acknowledged deliveries become unacked again. */
  rollbackTx(): void {
    const { settles } = this.tx
    this.tx = { publishes: [], settles: [] }
    this.host.unacked.restore(settles.flatMap((s) => s.taken))
  }

  // ---- reaching the queues ----

  private settleAcked(taken: readonly Unacked[]): void {
    this.host.stats.ack += taken.length
    for (const u of taken) {
      if (u.consumer) u.consumer.unacked--
      u.queue.settle(u.entry)
    }
  }

  /** `rejected`: a reject or nack (a retry backoff delays those), not a closed channel or a recover. */
  private settleOrRequeue(taken: readonly Unacked[], requeue: boolean, rejected = true): void {
    const byQueue = new Map<Queue, QueueEntry[]>()
    for (const u of taken) {
      if (u.consumer) u.consumer.unacked--
      if (!requeue) {
        u.queue.discard([u.entry])
        continue
      }
      const list = byQueue.get(u.queue)
      if (list) list.push(u.entry)
      else byQueue.set(u.queue, [u.entry])
    }
    for (const [q, entries] of byQueue) q.requeue(entries, rejected)
  }

  /** Deliveries resume once per batch of acks rather than once per ack. */
  private scheduleResume(): void {
    if (this.resumeScheduled) return
    this.resumeScheduled = true
    queueMicrotask(() => {
      this.resumeScheduled = false
      if (!this.host.isClosed()) this.host.resumeConsumers()
    })
  }
}
