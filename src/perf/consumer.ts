// One consuming connection. Deliveries are parsed in place: the delivery tag from the method frame, the
// body size from the header frame, the send time from the first 8 body bytes; nothing is decoded into
// objects. Manual acks are written straight into the connection's slab and leave with the next flush,
// which the connection does once per socket read, so one write carries the acks of a whole chunk.
import { FRAME } from '../protocol/index.js'
import { CHANNEL, type ContentSink, type PerfConnection } from './connection.js'
import { LatencyHistogram } from './histogram.js'
import { now } from './publisher.js'

export interface ConsumerOptions {
  readonly queue: string
  /** true: manual acks (basic.ack); false: auto-ack (no-ack consume). */
  readonly ack: boolean
  /** Ack every n-th delivery with multiple=true; 1 acks each one with multiple=false. */
  readonly multiAck: number
  /** basic.qos prefetch-count; 0 sends no basic.qos. */
  readonly prefetch: number
}

/** basic.ack on channel 1: frame header, class 60 method 80, delivery tag, multiple bit, frame end. */
const ACK_FRAME = Buffer.from([
  FRAME.METHOD,
  0,
  CHANNEL,
  0,
  0,
  0,
  13,
  0,
  60,
  0,
  80,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  FRAME.END,
])

export class Consumer implements ContentSink {
  consumed = 0
  /** Every latency sample of the run. */
  readonly latency = new LatencyHistogram()
  /** Samples since the last progress line; reset by whoever prints it. */
  readonly recent = new LatencyHistogram()
  private tag = 0
  private bodyLeft = 0
  private stamp = -1
  private unacked = 0
  private consumerTag = ''

  constructor(
    readonly conn: PerfConnection,
    readonly opts: ConsumerOptions,
  ) {}

  async setup(): Promise<void> {
    const { queue, ack, prefetch } = this.opts
    if (prefetch > 0) {
      const qos = { name: 'basic.qos', prefetchSize: 0, prefetchCount: prefetch, global: false } as const
      await this.conn.call(CHANNEL, qos, 'basic.qos-ok')
    }
    this.conn.content = this
    const ok = await this.conn.call(
      CHANNEL,
      {
        name: 'basic.consume',
        queue,
        consumerTag: '',
        noLocal: false,
        noAck: !ack,
        exclusive: false,
        noWait: false,
        arguments: {},
      },
      'basic.consume-ok',
    )
    this.consumerTag = ok.consumerTag
  }

  /** basic.cancel, so the queue can be deleted without a consumer on it (garagemq deadlocks otherwise). */
  async cancel(): Promise<void> {
    if (!this.consumerTag || this.conn.error) return
    await this.conn.call(
      CHANNEL,
      { name: 'basic.cancel', consumerTag: this.consumerTag, noWait: false },
      'basic.cancel-ok',
    )
  }

  onDeliver(payload: Buffer): void {
    // class(2) method(2) consumer-tag(shortstr) delivery-tag(longlong) ...
    const at = 5 + (payload[4] as number)
    this.tag = payload.readUInt32BE(at) * 2 ** 32 + payload.readUInt32BE(at + 4)
  }

  onHeader(payload: Buffer): void {
    // class(2) weight(2) body-size(longlong) properties...
    const size = payload.readUInt32BE(4) * 2 ** 32 + payload.readUInt32BE(8)
    this.stamp = -1
    this.bodyLeft = size
    if (size === 0) this.complete()
  }

  onBody(payload: Buffer): void {
    if (this.stamp < 0 && payload.length >= 8) this.stamp = payload.readDoubleLE(0)
    this.bodyLeft -= payload.length
    if (this.bodyLeft <= 0) this.complete()
  }

  private complete(): void {
    this.consumed++
    if (this.stamp > 0) {
      const ms = now() - this.stamp
      // A body that did not come from a perf publisher holds no time: skip implausible values.
      if (ms > -1000 && ms < 86_400_000) {
        this.latency.record(ms)
        this.recent.record(ms)
      }
      this.stamp = -1
    }
    if (this.opts.ack && ++this.unacked >= this.opts.multiAck) {
      this.writeAck(this.tag, this.opts.multiAck > 1)
      this.unacked = 0
    }
  }

  /** Acks what is left over (multiAck > 1) before the consumer stops. */
  flushAcks(): void {
    if (this.unacked > 0 && !this.conn.error) {
      this.writeAck(this.tag, true)
      this.unacked = 0
      this.conn.flush()
    }
  }

  private writeAck(tag: number, multiple: boolean): void {
    const w = this.conn.writer
    w.ensure(ACK_FRAME.length)
    const b = w.buf
    const p = w.pos
    ACK_FRAME.copy(b, p)
    b.writeUInt32BE(Math.floor(tag / 2 ** 32), p + 11)
    b.writeUInt32BE(tag >>> 0, p + 15)
    b[p + 19] = multiple ? 1 : 0
    w.pos += ACK_FRAME.length
  }
}
