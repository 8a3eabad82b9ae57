// One subscribing connection of `warren perf mqtt`: counts the PUBLISH packets it gets, tells repeats
// and gaps apart by the (publisher, sequence number) each payload of 8 bytes or more carries, and for
// QoS 1 answers with PUBACKs, all of one socket read's acks in one write.
import { PACKET } from '../../mqtt/index.js'
import type { MqttHandler, MqttPerfConnection } from './connection.js'

export class MqttSubscriber implements MqttHandler {
  received = 0
  /** Messages seen again (a sequence number at or below one already seen from that publisher). */
  duplicates = 0
  /** Sequence numbers skipped over: messages that did not arrive, or not yet, or not in order. */
  gaps = 0
  firstAt: number | undefined
  /** Per publisher index: the next sequence number expected. */
  private readonly next: number[] = []
  private acks = Buffer.allocUnsafe(4096)
  private ackBytes = 0

  constructor(
    readonly conn: MqttPerfConnection,
    private readonly sequenced: boolean,
  ) {
    conn.handler = this
  }

  /** Messages received once each. */
  get unique(): number {
    return this.received - this.duplicates
  }

  publish(buf: Buffer, qos: number, packetId: number, payloadAt: number): void {
    this.received++
    this.firstAt ??= performance.now()
    if (this.sequenced) this.track(buf.readUInt32BE(payloadAt), buf.readUInt32BE(payloadAt + 4))
    if (qos > 0) this.ack(packetId)
  }

  puback(): void {}

  flush(): void {
    if (this.ackBytes === 0) return
    this.conn.write(Buffer.from(this.acks.subarray(0, this.ackBytes)))
    this.ackBytes = 0
  }

  private track(publisher: number, seq: number): void {
    const expected = this.next[publisher] ?? 0
    if (seq < expected) {
      this.duplicates++
      return
    }
    this.gaps += seq - expected
    this.next[publisher] = seq + 1
  }

  private ack(packetId: number): void {
    if (this.ackBytes + 4 > this.acks.length) {
      const bigger = Buffer.allocUnsafe(this.acks.length * 2)
      this.acks.copy(bigger, 0, 0, this.ackBytes)
      this.acks = bigger
    }
    const a = this.acks
    a[this.ackBytes++] = PACKET.PUBACK << 4
    a[this.ackBytes++] = 2
    a[this.ackBytes++] = packetId >> 8
    a[this.ackBytes++] = packetId & 0xff
  }
}
