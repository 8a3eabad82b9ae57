// A STOMP session's unacknowledged deliveries and its transactions. ACK and NACK name a delivery by its
// message-id (1.0, 1.1) or its ack id (1.2); a `client` subscription's ACK or NACK covers every earlier
// delivery of that subscription, a `client-individual` one only its own. NACK requeues (the redelivery
// says redelivered:true) unless requeue:false, which discards (dead-letters). SEND, ACK and NACK with a
// transaction header wait for its COMMIT; ABORT drops the SENDs and leaves ACKed deliveries unacknowledged.
import type { Queue, QueueEntry } from '../core/index.js'
import { type Frame, frameError, header, type StompError } from './frame.js'
import type { Subscription } from './subscription.js'

/** A message handed to a subscription, with the tag its ACK or NACK names. */
export interface Delivery {
  readonly sub: Subscription
  readonly queue: Queue
  readonly entry: QueueEntry
  readonly tag: number
  /** The message-id (and, in STOMP 1.2, ack) header. */
  readonly messageId: string
}

/** A SEND, ACK or NACK held by a transaction. */
export interface TxStep {
  readonly commit: () => void
  readonly abort?: () => void
}

export class Settlement {
  /** Deliveries waiting for their ACK or NACK, in the order they were sent. */
  private readonly unacked = new Map<number, Delivery>()
  /** Open transactions: what each does at its COMMIT, in order, and undoes at its ABORT. */
  private readonly transactions = new Map<string, TxStep[]>()

  constructor(private readonly session: { acked(n: number): void }) {}

  get unackedCount(): number {
    return this.unacked.size
  }

  get txMode(): boolean {
    return this.transactions.size > 0
  }

  /** Steps the open transactions hold (the management API's messages_uncommitted). */
  get uncommittedCount(): number {
    let n = 0
    for (const ops of this.transactions.values()) n += ops.length
    return n
  }

  /** A delivery to a subscription with acknowledgements. */
  track(d: Delivery): void {
    this.unacked.set(d.tag, d)
  }

  /** The subscription ended: its unacknowledged deliveries are forgotten and returned (to be requeued). */
  forget(sub: Subscription): QueueEntry[] {
    const entries: QueueEntry[] = []
    for (const [tag, d] of this.unacked)
      if (d.sub === sub) {
        this.unacked.delete(tag)
        entries.push(d.entry)
      }
    return entries
  }

  /** ACK or NACK, now or at the COMMIT of the transaction it names. */
  settle(f: Frame, version: string): void {
    const taken = this.deliveriesOf(f, version)
    const tx = this.transaction(f)
    const ack = f.command === 'ACK'
    const requeue = header(f, 'requeue') !== 'false'
    for (const d of taken) this.unacked.delete(d.tag)
    const commit = (): void => this.apply(taken, ack, requeue)
    if (!tx) return commit()
    // An aborted ACK or NACK leaves its deliveries unacknowledged, to be settled again.
    tx.push({ commit, abort: () => taken.forEach((d) => this.unacked.set(d.tag, d)) })
  }

  private deliveriesOf(f: Frame, version: string): Delivery[] {
    const idHeader = version === '1.2' ? 'id' : 'message-id'
    const messageId = header(f, idHeader)
    if (messageId === undefined)
      throw frameError('Missing header', `"${f.command}" must include the "${idHeader}" header\n`)
    const tag = Number(messageId.slice(messageId.lastIndexOf('@@') + 2))
    const d = this.unacked.get(tag)
    if (!d || d.messageId !== messageId)
      throw frameError('Subscription not found', `Message with id "${messageId}" has no subscription`)
    if (d.sub.ack !== 'client') return [d]
    const earlier: Delivery[] = []
    for (const u of this.unacked.values()) if (u.sub === d.sub && u.tag <= tag) earlier.push(u)
    return earlier
  }

  private apply(taken: readonly Delivery[], ack: boolean, requeue: boolean): void {
    if (ack) this.session.acked(taken.length)
    for (const d of taken) {
      d.sub.unacked--
      if (d.queue.deleted) continue
      if (ack) d.queue.settle(d.entry)
      else if (requeue) d.queue.requeue([d.entry], true)
      else d.queue.discard([d.entry])
    }
    for (const q of new Set(taken.map((d) => d.queue))) if (!q.deleted) q.dispatch()
  }

  // ---- transactions ----

  begin(f: Frame): void {
    const tx = requiredTx(f)
    if (this.transactions.has(tx))
      throw frameError('Bad transaction', `Transaction "${tx}" is already started`)
    this.transactions.set(tx, [])
  }

  /** COMMIT runs the transaction's steps in order; ABORT undoes what they hold. */
  end(f: Frame): void {
    const tx = requiredTx(f)
    const ops = this.transactions.get(tx)
    if (!ops) throw invalidTx(tx)
    this.transactions.delete(tx)
    for (const step of ops) {
      if (f.command === 'COMMIT') step.commit()
      else step.abort?.()
    }
  }

  /** The open transaction a frame names (an ERROR if it names one that is not open). */
  transaction(f: Frame): TxStep[] | undefined {
    const tx = header(f, 'transaction')
    if (tx === undefined) return undefined
    const ops = this.transactions.get(tx)
    if (!ops) throw invalidTx(tx)
    return ops
  }

  /** The connection is gone: open transactions are dropped. */
  clear(): void {
    this.transactions.clear()
  }
}

function requiredTx(f: Frame): string {
  const tx = header(f, 'transaction')
  if (tx === undefined)
    throw frameError('Missing transaction', `"${f.command}" must include a 'transaction' header\n`)
  return tx
}

const invalidTx = (tx: string): StompError =>
  frameError('Bad transaction', `Invalid transaction identifier: "${tx}"\n`)
