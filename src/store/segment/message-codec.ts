// Turns stored records back into messages, and properties into the bytes a record stores. Properties are
// kept in their AMQP content-header form (flags word onwards) so that the raw bytes a publisher sent are
// stored as they are and can be sent to consumers without re-encoding.
import {
  decodeBasicProperties,
  encodeBasicProperties,
  Reader,
  type ShortStringCache,
  Writer,
} from '../../protocol/index.js'
import type { BasicProperties } from '../../shared/index.js'
import type { RecoveredMessage } from '../../core/ports.js'
import type { RecordView } from './record.js'

export class PropertiesEncoder {
  private readonly w = new Writer(64 * 1024)

  encode(props: BasicProperties): Buffer {
    encodeBasicProperties(this.w, props)
    const parts = this.w.take()
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
  }
}

/**
 * Remembers the last string decoded, so that a run of records with the same exchange or routing key
 * yields one string rather than one per message: recovered messages stay in memory, so this is real memory.
 */
class Interner {
  private buf: Buffer | null = null
  private start = 0
  private end = 0
  private str = ''

  get(buf: Buffer, start: number, end: number): string {
    if (
      this.buf &&
      this.end - this.start === end - start &&
      buf.compare(this.buf, this.start, this.end, start, end) === 0
    ) {
      return this.str
    }
    this.buf = buf
    this.start = start
    this.end = end
    this.str = buf.toString('utf8', start, end)
    return this.str
  }

  clear(): void {
    this.buf = null
  }
}

export class MessageDecoder {
  private readonly reader: Reader

  /** `shortStrings` is the message store's: content types and the like repeat across its queues. */
  constructor(shortStrings?: ShortStringCache) {
    this.reader = new Reader(shortStrings)
  }

  private readonly exchanges = new Interner()
  private readonly routingKeys = new Interner()

  /**
   * Builds the message the view locates in buf. With copy, properties and body get a buffer of their own
   * (one allocation for both) instead of pointing into buf, which would keep a whole segment in memory.
   */
  decode(buf: Buffer, v: RecordView, copy: boolean, delivered: boolean): RecoveredMessage {
    let raw: Buffer
    let body: Buffer
    if (copy) {
      const own = Buffer.allocUnsafe(v.end - v.routingKeyEnd)
      buf.copy(own, 0, v.routingKeyEnd, v.end)
      raw = own.subarray(0, v.propertiesEnd - v.routingKeyEnd)
      body = own.subarray(v.propertiesEnd - v.routingKeyEnd)
    } else {
      raw = buf.subarray(v.routingKeyEnd, v.propertiesEnd)
      body = buf.subarray(v.propertiesEnd, v.end)
    }
    return {
      id: v.id,
      delivered,
      exchange: this.exchanges.get(buf, v.exchangeStart, v.exchangeEnd),
      routingKey: this.routingKeys.get(buf, v.exchangeEnd, v.routingKeyEnd),
      properties: decodeBasicProperties(this.reader.reset(raw, 0, raw.length)),
      rawProperties: raw,
      body,
      expiresAt: v.expiresAt > 0 ? v.expiresAt : undefined,
    }
  }

  /** Forgets the buffer the interners point into (a whole segment after a recovery pass). */
  release(): void {
    this.exchanges.clear()
    this.routingKeys.clear()
  }
}
