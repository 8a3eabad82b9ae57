// One publishing connection of `warren perf mqtt`. PUBLISH packets go out many to a socket write: a batch
// is a copy of a template of `batch` packets encoded once by Warren's encoder, with each packet's id (QoS 1)
// and the sequence number in its payload written in. QoS 1 keeps at most `window` packets unacknowledged;
// QoS 0 writes until the socket's buffer is full, so the broker's reading pace sets the rate.
import { type BatchSource, BatchPump } from '../batch-pump.js'
import { encodePublish } from '../../mqtt/index.js'
import { LatencyHistogram } from '../histogram.js'
import type { MqttHandler, MqttPerfConnection } from './connection.js'

export interface MqttPublisherOptions {
  readonly topic: string
  readonly qos: 0 | 1
  readonly size: number
  /** PUBLISH packets per socket write. */
  readonly batch: number
  /** QoS 1: the most unacknowledged packets (at most 65535, the packet id space). */
  readonly window: number
  /** Messages to publish; 0: until stopped. */
  readonly count: number
}

/** Batches written before the publisher yields to the event loop (and to the other connections in it). */
const PACKET_IDS = 65535

/** A payload of `size` bytes: the publisher's index and the sequence number (u32 each) when it has room. */
export function payloadOf(size: number, publisher: number): Buffer {
  const p = Buffer.alloc(size, 0x2a)
  if (size >= 8) p.writeUInt32BE(publisher, 0)
  return p
}

export class MqttPublisher implements BatchSource, MqttHandler {
  published = 0
  acked = 0
  readonly ackLatency = new LatencyHistogram()
  private readonly template: Buffer
  private readonly packetLength: number
  private readonly sentAt = new Float64Array(PACKET_IDS + 1)
  private readonly pump: BatchPump

  constructor(
    readonly conn: MqttPerfConnection,
    readonly index: number,
    private readonly o: MqttPublisherOptions,
  ) {
    const one = encodePublish({
      topic: o.topic,
      qos: o.qos,
      dup: false,
      retain: false,
      packetId: o.qos > 0 ? 1 : undefined,
      payload: payloadOf(o.size, index),
    })
    this.packetLength = one.length
    this.template = Buffer.allocUnsafe(one.length * o.batch)
    for (let i = 0; i < o.batch; i++) one.copy(this.template, i * one.length)
    conn.handler = this
    this.pump = new BatchPump(conn.socket, this)
  }

  start(): void {
    this.pump.start()
  }

  stop(): void {
    this.pump.stop()
  }

  get inFlight(): number {
    return this.o.qos > 0 ? this.published - this.acked : 0
  }

  /** All of a counted run published and (QoS 1) acknowledged. */
  get done(): boolean {
    return this.o.count > 0 && this.published >= this.o.count && this.inFlight === 0
  }

  publish(): void {}

  puback(packetId: number): void {
    this.acked++
    this.ackLatency.record(performance.now() - (this.sentAt[packetId] as number))
  }

  flush(): void {
    if (this.o.qos > 0) this.pump.pump()
  }

  nextBatchSize(): number {
    let n = this.o.batch
    if (this.o.count > 0) n = Math.min(n, this.o.count - this.published)
    if (this.o.qos > 0) n = Math.min(n, this.o.window - this.inFlight)
    return n
  }

  /** The next n packets: ids and sequence numbers written into a copy of the template. */
  batchOf(n: number): Buffer {
    const len = this.packetLength
    const out = Buffer.allocUnsafe(n * len)
    this.template.copy(out, 0, 0, n * len)
    const payloadAt = len - this.o.size
    const now = this.o.qos > 0 ? performance.now() : 0
    for (let i = 0, at = 0; i < n; i++, at += len) {
      const seq = this.published++
      if (this.o.size >= 8) out.writeUInt32BE(seq >>> 0, at + payloadAt + 4)
      if (this.o.qos > 0) {
        const id = (seq % PACKET_IDS) + 1
        out.writeUInt16BE(id, at + payloadAt - 2)
        this.sentAt[id] = now
      }
    }
    return out
  }
}
