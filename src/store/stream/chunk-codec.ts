// The bytes of a stream chunk and of its index entry. A chunk is a header (first offset, count, timestamp,
// data length, CRC) and its data; its magic says which of two kinds it is:
// - a chunk of records ("WSC1"), what a group commit writes of messages appended one by one; the CRC
//   covers the header fields and the data, so that recovery can tell a whole chunk from a torn one;
// - a batch chunk ("WSB1"), one batch a front end appended already encoded, its bytes kept as they came;
//   the CRC covers the data alone (osiris's chunk CRC, which a Stream-protocol delivery sends on), and
//   recovery checks the header against the offset it expects. Logs written before batch chunks existed
//   hold only record chunks and read as before.
//
//   chunk:  magic u32 | count u32 | first offset u64 | timestamp u64 | data length u32 | crc u32 | data
//   record: length u32 | exchange length u8 | exchange | routing key length u8 | routing key |
//           properties length u32 | properties (AMQP content-header form) | body
//   index entry (fixed size, so that an index is searched by halving): first offset u64 |
//           timestamp u64 | position u64 | count u32 | chunk size u32
import { decodeBasicProperties, encodeBasicProperties, Reader, Writer } from '../../protocol/index.js'
import type { PersistedMessage, StoredBatch } from '../../core/ports.js'
import { crc32 } from '../segment/crc32.js'

export const CHUNK_MAGIC = 0x57534331 // "WSC1"
export const BATCH_CHUNK_MAGIC = 0x57534231 // "WSB1"
export const CHUNK_HEADER_SIZE = 32
export const INDEX_ENTRY_SIZE = 32

/** What the header of a chunk, or its index entry, says about it. */
export interface ChunkInfo {
  readonly firstOffset: number
  readonly timestamp: number
  readonly count: number
  /** Header and records, in bytes. */
  readonly size: number
  /** Where the chunk starts in its segment file. */
  readonly position: number
  /** A batch chunk (set when read from a chunk header; an index entry does not say). */
  readonly batch?: boolean
}

export class RecordEncoder {
  private readonly props = new Writer(64 * 1024)

  /** One message as a record; properties go as received when the broker has their bytes. */
  encode(m: PersistedMessage): Buffer {
    const raw = m.rawProperties ?? this.encodeProperties(m)
    const exchange = Buffer.from(m.exchange, 'utf8')
    const key = Buffer.from(m.routingKey, 'utf8')
    const length = 1 + exchange.length + 1 + key.length + 4 + raw.length + m.body.length
    const out = Buffer.allocUnsafe(4 + length)
    let p = out.writeUInt32LE(length, 0)
    p = out.writeUInt8(exchange.length, p)
    p += exchange.copy(out, p)
    p = out.writeUInt8(key.length, p)
    p += key.copy(out, p)
    p = out.writeUInt32LE(raw.length, p)
    p += raw.copy(out, p)
    m.body.copy(out, p)
    return out
  }

  private encodeProperties(m: PersistedMessage): Buffer {
    encodeBasicProperties(this.props, m.properties)
    const parts = this.props.take()
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
  }
}

/** A chunk's bytes from its records. */
export function encodeChunk(firstOffset: number, timestamp: number, records: readonly Buffer[]): Buffer {
  const dataLength = records.reduce((n, r) => n + r.length, 0)
  const out = Buffer.allocUnsafe(CHUNK_HEADER_SIZE + dataLength)
  out.writeUInt32LE(CHUNK_MAGIC, 0)
  out.writeUInt32LE(records.length, 4)
  out.writeBigUInt64LE(BigInt(firstOffset), 8)
  out.writeBigUInt64LE(BigInt(timestamp), 16)
  out.writeUInt32LE(dataLength, 24)
  let p = CHUNK_HEADER_SIZE
  for (const r of records) p += r.copy(out, p)
  out.writeUInt32LE(chunkCrc(out, 0, dataLength), 28)
  return out
}

/** The header of a batch chunk; the batches' data follows it as it is (written with it in one call). */
export function encodeBatchHeader(
  firstOffset: number,
  timestamp: number,
  count: number,
  crc: number,
  dataLength: number,
): Buffer {
  const out = Buffer.allocUnsafe(CHUNK_HEADER_SIZE)
  out.writeUInt32LE(BATCH_CHUNK_MAGIC, 0)
  out.writeUInt32LE(count, 4)
  out.writeBigUInt64LE(BigInt(firstOffset), 8)
  out.writeBigUInt64LE(BigInt(timestamp), 16)
  out.writeUInt32LE(dataLength, 24)
  out.writeUInt32LE(crc >>> 0, 28)
  return out
}

function chunkCrc(buf: Buffer, at: number, dataLength: number): number {
  const headerCrc = crc32(buf, at + 4, at + 28)
  const start = at + CHUNK_HEADER_SIZE
  return crc32(buf, start, start + dataLength, headerCrc) >>> 0
}

/** The header at buf[at], or undefined when it is not one (no magic, or cut short). */
export function readChunkHeader(buf: Buffer, at: number, position: number): ChunkInfo | undefined {
  if (buf.length - at < CHUNK_HEADER_SIZE) return undefined
  const magic = buf.readUInt32LE(at)
  if (magic !== CHUNK_MAGIC && magic !== BATCH_CHUNK_MAGIC) return undefined
  return {
    batch: magic === BATCH_CHUNK_MAGIC,
    count: buf.readUInt32LE(at + 4),
    firstOffset: Number(buf.readBigUInt64LE(at + 8)),
    timestamp: Number(buf.readBigUInt64LE(at + 16)),
    size: CHUNK_HEADER_SIZE + buf.readUInt32LE(at + 24),
    position,
  }
}

/** Whether the whole chunk at buf[at] is there and its CRC matches. */
export function chunkIntact(buf: Buffer, at: number, info: ChunkInfo): boolean {
  if (buf.length - at < info.size || info.size < CHUNK_HEADER_SIZE) return false
  const dataLength = info.size - CHUNK_HEADER_SIZE
  const stored = buf.readUInt32LE(at + 28)
  switch (buf.readUInt32LE(at)) {
    case CHUNK_MAGIC:
      return chunkCrc(buf, at, dataLength) === stored
    case BATCH_CHUNK_MAGIC: {
      const start = at + CHUNK_HEADER_SIZE
      const headerAgrees = buf.readUInt32LE(at + 24) === dataLength && buf.readUInt32LE(at + 4) === info.count
      return headerAgrees && crc32(buf, start, start + dataLength) >>> 0 === stored
    }
    default:
      return false
  }
}

/** The encoded batch of the batch chunk at buf[at] (a view of buf). */
export function batchOf(buf: Buffer, at: number, info: ChunkInfo): StoredBatch {
  const start = at + CHUNK_HEADER_SIZE
  return { data: buf.subarray(start, at + info.size), count: info.count, crc: buf.readUInt32LE(at + 28) }
}

/** The messages of the chunk at buf[at], from `skip` on; bodies are copied out of buf. */
export function decodeChunk(buf: Buffer, at: number, info: ChunkInfo, skip: number): PersistedMessage[] {
  const reader = new Reader()
  const out: PersistedMessage[] = []
  let p = at + CHUNK_HEADER_SIZE
  for (let i = 0; i < info.count; i++) {
    const end = p + 4 + buf.readUInt32LE(p)
    if (i >= skip) out.push(decodeRecord(buf, p + 4, end, reader))
    p = end
  }
  return out
}

function decodeRecord(buf: Buffer, start: number, end: number, reader: Reader): PersistedMessage {
  let p = start
  const exchangeEnd = p + 1 + (buf[p] as number)
  const exchange = buf.toString('utf8', p + 1, exchangeEnd)
  p = exchangeEnd
  const keyEnd = p + 1 + (buf[p] as number)
  const routingKey = buf.toString('utf8', p + 1, keyEnd)
  p = keyEnd
  const propsEnd = p + 4 + buf.readUInt32LE(p)
  // One allocation for properties and body, so that a message does not pin the read buffer.
  const own = Buffer.from(buf.subarray(p + 4, end))
  const rawProperties = own.subarray(0, propsEnd - p - 4)
  const body = own.subarray(propsEnd - p - 4)
  const properties = decodeBasicProperties(reader.reset(rawProperties, 0, rawProperties.length))
  return { exchange, routingKey, properties, rawProperties, body }
}

export function encodeIndexEntry(c: ChunkInfo): Buffer {
  const out = Buffer.allocUnsafe(INDEX_ENTRY_SIZE)
  out.writeBigUInt64LE(BigInt(c.firstOffset), 0)
  out.writeBigUInt64LE(BigInt(c.timestamp), 8)
  out.writeBigUInt64LE(BigInt(c.position), 16)
  out.writeUInt32LE(c.count, 24)
  out.writeUInt32LE(c.size, 28)
  return out
}

export function decodeIndexEntry(buf: Buffer, at: number): ChunkInfo {
  return {
    firstOffset: Number(buf.readBigUInt64LE(at)),
    timestamp: Number(buf.readBigUInt64LE(at + 8)),
    position: Number(buf.readBigUInt64LE(at + 16)),
    count: buf.readUInt32LE(at + 24),
    size: buf.readUInt32LE(at + 28),
  }
}
