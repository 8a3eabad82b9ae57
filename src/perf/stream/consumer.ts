// One Stream-protocol consumer on its own connection: subscribes with some credit and gives one back per
// chunk delivered. Only the chunk header is read (its record count); message bodies are never decoded,
// so the consumer costs a few reads per chunk, whatever its size.
import { KEY, OFFSET_TYPE } from '../../stream-protocol/index.js'
import type { StreamPerfConnection } from './connection.js'

export type StreamOffset = 'first' | 'next' | 'last'

export interface StreamConsumerOptions {
  readonly stream: string
  readonly offset: StreamOffset
  /** Chunks the server may send ahead of our credit frames. */
  readonly credit: number
  /** Messages to receive, then `finished` resolves; 0: until stopped. */
  readonly count: number
}

const SUBSCRIPTION_ID = 0
/** Key, version and subscription id, then the chunk header: magic, type, entries (u16), records (u32). */
const CHUNK_TYPE_AT = 5 + 1
const RECORDS_AT = 5 + 4
const CHUNK_TYPE_USER = 0

export class StreamConsumer {
  consumed = 0
  chunks = 0
  /** From sending subscribe to the first delivery, ms. */
  firstDeliveryMs: number | undefined
  private subscribedAt = 0
  private done: (() => void) | undefined
  readonly finished: Promise<void>
  private readonly creditFrame: Buffer

  constructor(
    readonly conn: StreamPerfConnection,
    private readonly o: StreamConsumerOptions,
  ) {
    this.finished = new Promise((resolve) => (this.done = resolve))
    // Size 5: key, version, subscription id, credit (u16).
    this.creditFrame = Buffer.from([0, 0, 0, 7, 0, KEY.credit, 0, 1, SUBSCRIPTION_ID, 0, 1])
    conn.push.set(KEY.deliver, (f) => this.onDeliver(f))
  }

  async subscribe(): Promise<void> {
    this.subscribedAt = performance.now()
    await this.conn.request('subscribe', KEY.subscribe, (w) =>
      w.u8(SUBSCRIPTION_ID).string(this.o.stream).u16(OFFSET_TYPE[this.o.offset]).u16(this.o.credit).map([]),
    )
  }

  private onDeliver(frame: Buffer): void {
    if (this.firstDeliveryMs === undefined) this.firstDeliveryMs = performance.now() - this.subscribedAt
    this.chunks++
    this.conn.write(this.creditFrame)
    if (frame.readUInt8(CHUNK_TYPE_AT) !== CHUNK_TYPE_USER) return
    this.consumed += frame.readUInt32BE(RECORDS_AT)
    if (this.o.count > 0 && this.consumed >= this.o.count) this.done?.()
  }
}
