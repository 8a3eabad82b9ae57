// Publisher confirms of one channel. Each publish gets the next sequence number and an outcome: ack at
// once, ack once its queues' stores have fsynced, or nack (refused by overflow, or a store found the disk
// full). Outcomes are written in sequence order just before the connection flushes: runs of acks become
// one basic.ack multiple=true, so a client with many publishes in flight gets few confirm frames.
// Durable publishes of one event-loop turn wait for one flush of each store they touched (the store's
// group commit does the rest).

import { isNoSpace } from '../shared/index.js'

const PENDING = 0
const ACK = 1
const NACK = 2

export interface Flushable {
  flush(): Promise<void>
}

export interface ConfirmWriter {
  writeAck(seq: number, multiple: boolean): void
  writeNack(seq: number): void
  /** Asks for a flush soon (outcomes are ready to be written). */
  requestFlush(): void
  /** Called when a store flush fails: the channel should close, its confirms cannot be kept. */
  failed(err: unknown): void
}

export class ConfirmTracker {
  /** Outcomes of seq base, base+1, ...; only the unwritten tail of the sequence is kept. */
  private states: number[] = []
  private head = 0
  private base = 1
  private nextSeq = 1
  private batch: Set<Flushable> | undefined
  private batchSeqs: number[] = []

  constructor(private readonly out: ConfirmWriter) {}

  /** Registers a publish; `stores` lists the stores it must reach before its ack. */
  publish(rejected: boolean, stores: readonly Flushable[] | undefined): number {
    const seq = this.nextSeq++
    if (rejected) this.states.push(NACK)
    else if (!stores || stores.length === 0) this.states.push(ACK)
    else {
      this.states.push(PENDING)
      this.batch ??= new Set()
      for (const s of stores) this.batch.add(s)
      this.batchSeqs.push(seq)
    }
    this.out.requestFlush()
    return seq
  }

  /** Starts the store flushes for this turn's durable publishes; writes every outcome that is ready. */
  beforeFlush(): void {
    if (this.batch) {
      const stores = [...this.batch]
      const seqs = this.batchSeqs
      this.batch = undefined
      this.batchSeqs = []
      Promise.all(stores.map((s) => s.flush())).then(
        () => this.resolve(seqs, ACK),
        // A full disk is answered per publish: the store keeps the messages and retries, the publisher
        // hears that they are not safe yet. Any other store failure ends the channel.
        (err: unknown) => (isNoSpace(err) ? this.resolve(seqs, NACK) : this.out.failed(err)),
      )
    }
    this.writeReady()
  }

  private resolve(seqs: readonly number[], outcome: typeof ACK | typeof NACK): void {
    for (const seq of seqs) {
      const i = this.head + (seq - this.base)
      if (this.states[i] === PENDING) this.states[i] = outcome
    }
    this.out.requestFlush()
  }

  private writeReady(): void {
    let ackUpTo = 0
    let run = 0
    while (this.head < this.states.length) {
      const s = this.states[this.head] as number
      if (s === PENDING) break
      const seq = this.base
      if (s === ACK) {
        ackUpTo = seq
        run++
      } else {
        if (run > 0) this.out.writeAck(ackUpTo, run > 1)
        run = 0
        this.out.writeNack(seq)
      }
      this.head++
      this.base++
    }
    if (run > 0) this.out.writeAck(ackUpTo, run > 1)
    if (this.head > 1024 && this.head * 2 > this.states.length) {
      this.states = this.states.slice(this.head)
      this.head = 0
    }
  }

  /** Publishes whose confirm has not been written yet (the management API's messages_unconfirmed). */
  get unconfirmed(): number {
    return this.states.length - this.head
  }

  get hasPending(): boolean {
    return this.head < this.states.length || this.batch !== undefined
  }
}
