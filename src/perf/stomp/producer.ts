// One producing connection of `warren perf stomp`: SEND frames many to a socket write, copies of one frame
// encoded by Warren's STOMP encoder with the producer's index and a sequence number written into the body.
// With a window, each batch's last SEND asks for a RECEIPT (which RabbitMQ, like Warren, sends once the
// broker has the message) and at most `window` messages go unreceipted; without one, the socket's
// back-pressure alone paces the producer.
import { type BatchSource, BatchPump } from '../batch-pump.js'
import type { Headers } from '../../stomp/index.js'
import { headerOf, frame, type InFrame, type StompHandler, type StompPerfConnection } from './connection.js'

export interface StompProducerOptions {
  readonly destination: string
  /** Headers a SEND and a SUBSCRIBE both carry (the queue's flags, which must agree). */
  readonly queueHeaders: Headers
  readonly size: number
  readonly batch: number
  /** Most unreceipted messages; 0: no receipts. */
  readonly window: number
  /** Messages to send; 0: until stopped. */
  readonly count: number
}

const FRAME_END = 2

/** A body of `size` bytes: the producer's index and the sequence number (u32 each) when it has room. */
export function bodyOf(size: number, producer: number): Buffer {
  const b = Buffer.alloc(size, 0x2a)
  if (size >= 8) b.writeUInt32BE(producer, 0)
  return b
}

export class StompProducer implements BatchSource, StompHandler {
  sent = 0
  receipted = 0
  private readonly template: Buffer
  private readonly body: Buffer
  private readonly headers: Headers
  private readonly pump: BatchPump

  constructor(
    readonly conn: StompPerfConnection,
    index: number,
    private readonly o: StompProducerOptions,
  ) {
    this.body = bodyOf(o.size, index)
    this.headers = [['destination', o.destination], ...o.queueHeaders]
    this.template = frame('SEND', this.headers, this.body)
    conn.handler = this
    this.pump = new BatchPump(conn.socket, this)
  }

  get inFlight(): number {
    return this.o.window > 0 ? this.sent - this.receipted : 0
  }

  get done(): boolean {
    return this.o.count > 0 && this.sent >= this.o.count && this.inFlight === 0
  }

  start(): void {
    this.pump.start()
  }

  stop(): void {
    this.pump.stop()
  }

  frame(f: InFrame): void {
    if (f.command !== 'RECEIPT') return
    this.receipted = Number(headerOf(f.headerText, 'receipt-id')) + 1
  }

  flush(): void {
    if (this.o.window > 0) this.pump.pump()
  }

  nextBatchSize(): number {
    let n = this.o.batch
    if (this.o.count > 0) n = Math.min(n, this.o.count - this.sent)
    if (this.o.window > 0) n = Math.min(n, this.o.window - this.inFlight)
    return n
  }

  /** n SEND frames; with a window the last asks for a receipt named by its sequence number. */
  batchOf(n: number): Buffer {
    const len = this.template.length
    const plain = this.o.window > 0 ? n - 1 : n
    const last =
      this.o.window > 0
        ? frame('SEND', [...this.headers, ['receipt', String(this.sent + n - 1)]], this.body)
        : undefined
    const out = Buffer.allocUnsafe(plain * len + (last?.length ?? 0))
    for (let i = 0; i < plain; i++) this.template.copy(out, i * len)
    if (last) last.copy(out, plain * len)
    if (this.o.size >= 8) {
      const bodyAt = len - FRAME_END - this.o.size
      for (let i = 0; i < plain; i++) out.writeUInt32BE(this.sent + i, i * len + bodyAt + 4)
      if (last) out.writeUInt32BE(this.sent + plain, out.length - FRAME_END - this.o.size + 4)
    }
    this.sent += n
    return out
  }
}
