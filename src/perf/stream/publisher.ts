// One Stream-protocol publisher on its own connection: batches of `batch` messages, one publish frame per
// batch, publishing ids increasing from 1, at most `window` unconfirmed messages. The frame of a full
// batch is encoded once; each batch is a copy of it with its publishing ids written in, and a copy the
// socket has sent is filled again (no allocation per batch, so the client leaves the CPU it shares with
// the broker to the broker). Writes stop when the socket's buffer is full and resume on 'drain', so the
// broker's TCP back-pressure is respected.
import { FrameReader, FrameWriter, KEY } from '../../stream-protocol/index.js'
import { LatencyHistogram } from '../histogram.js'
import type { StreamPerfConnection } from './connection.js'

export interface StreamPublisherOptions {
  readonly stream: string
  readonly size: number
  readonly batch: number
  /** Most unconfirmed messages; 0: limited by back-pressure alone. */
  readonly window: number
  /** Messages to publish, then stop; 0: until stopped. */
  readonly count: number
}

const PUBLISHER_ID = 0
/** Size, key, version, publisher id and message count before the first message. */
const PUBLISH_PREFIX = 4 + 2 + 2 + 1 + 4
const TWO_32 = 2 ** 32

/** An AMQP 1.0 message of one data section holding `size` bytes (what stream clients publish). */
export function amqp10Body(size: number): Buffer {
  const head = size < 256 ? Buffer.from([0x00, 0x53, 0x75, 0xa0, size]) : Buffer.alloc(8)
  if (size >= 256) {
    head.set([0x00, 0x53, 0x75, 0xb0])
    head.writeUInt32BE(size, 4)
  }
  return Buffer.concat([head, Buffer.alloc(size, 0x2a)])
}

export class StreamPublisher {
  published = 0
  confirmed = 0
  errored = 0
  readonly confirmLatency = new LatencyHistogram()
  private readonly body: Buffer
  private readonly template: Buffer
  /** Full-batch frames the socket is done with, to be filled again (no copy of the template per batch). */
  private readonly spare: Buffer[] = []
  private readonly sentAt: Float64Array
  private running = false
  private waitingDrain = false
  private done: (() => void) | undefined
  /** Resolves once `count` messages are published and settled (counted runs). */
  readonly finished: Promise<void>

  constructor(
    readonly conn: StreamPerfConnection,
    private readonly o: StreamPublisherOptions,
  ) {
    this.body = amqp10Body(o.size)
    this.template = this.encodeBatch(o.batch)
    const inFlightBatches = o.window > 0 ? Math.ceil(o.window / o.batch) : 1024
    this.sentAt = new Float64Array(inFlightBatches * 2 + 4)
    this.finished = new Promise((resolve) => (this.done = resolve))
    conn.push.set(KEY.publishConfirm, (f) => this.onConfirm(f))
    conn.push.set(KEY.publishError, (f) => this.onError(f))
  }

  async setup(): Promise<void> {
    await this.conn.request('declare publisher', KEY.declarePublisher, (w) =>
      w.u8(PUBLISHER_ID).string('').string(this.o.stream),
    )
  }

  start(): void {
    this.running = true
    this.pump()
  }

  stop(): void {
    this.running = false
  }

  get settled(): number {
    return this.confirmed + this.errored
  }

  private encodeBatch(n: number): Buffer {
    const w = new FrameWriter(KEY.publish, 1, PUBLISH_PREFIX + n * (12 + this.body.length))
    w.u8(PUBLISHER_ID).i32(n)
    for (let i = 0; i < n; i++) w.u64(0).bytes(this.body)
    return w.frame()
  }

  /** A batch's frame: the template (or a short last batch) with ids first..first+n-1 written in. */
  private batchFrame(first: number, n: number): Buffer {
    const frame = n === this.o.batch ? (this.spare.pop() ?? Buffer.from(this.template)) : this.encodeBatch(n)
    const stride = 12 + this.body.length
    for (let i = 0, at = PUBLISH_PREFIX; i < n; i++, at += stride) {
      const id = first + i
      frame.writeUInt32BE(Math.floor(id / TWO_32), at)
      frame.writeUInt32BE(id >>> 0, at + 4)
    }
    return frame
  }

  private readonly pump = (): void => {
    while (this.running && !this.waitingDrain) {
      const left = this.o.count > 0 ? this.o.count - this.published : this.o.batch
      if (left <= 0) return
      const n = Math.min(this.o.batch, left)
      if (this.o.window > 0 && this.published - this.settled + n > this.o.window) return
      const frame = this.batchFrame(this.published + 1, n)
      this.sentAt[Math.floor(this.published / this.o.batch) % this.sentAt.length] = performance.now()
      this.published += n
      const reuse = n === this.o.batch ? () => this.spare.push(frame) : undefined
      if (!this.conn.write(frame, reuse)) {
        this.waitingDrain = true
        this.conn.socket.once('drain', () => {
          this.waitingDrain = false
          this.pump()
        })
      }
    }
  }

  /** Publisher id, then an array of publishing ids. */
  private onConfirm(frame: Buffer): void {
    const n = frame.readInt32BE(5)
    const now = performance.now()
    for (let i = 0, at = 9; i < n; i++, at += 8) {
      const id = frame.readUInt32BE(at) * TWO_32 + frame.readUInt32BE(at + 4)
      const sent = this.sentAt[Math.floor((id - 1) / this.o.batch) % this.sentAt.length] as number
      this.confirmLatency.record(now - sent)
    }
    this.confirmed += n
    this.afterSettle()
  }

  /** Publisher id, then an array of (publishing id, code). */
  private onError(frame: Buffer): void {
    const r = new FrameReader(frame.subarray(5))
    this.errored += r.i32()
    this.afterSettle()
  }

  private afterSettle(): void {
    if (this.o.count > 0 && this.settled >= this.o.count) this.done?.()
    this.pump()
  }
}
