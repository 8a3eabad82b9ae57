// Byte formats of segment files and ack logs (docs/storage.md has the picture). Everything is big-endian,
// like AMQP. A record carries its own length and CRC so that recovery can tell a complete record from a
// torn one without any other file; ids are stored too, so a record found at the wrong place is refused.
import { crc32 } from './crc32.js'

const TWO_32 = 2 ** 32

/** "WRNSEG", a zero byte and the format version (2: records carry the message's expiry). */
const SEGMENT_MAGIC = Buffer.from('WRNSEG\x00\x02', 'latin1')
/** Magic (8 bytes) and the segment's base id (u64). */
export const SEGMENT_HEADER_SIZE = 16
/** u32 payload length, u32 CRC-32 of the payload. */
export const RECORD_HEADER_SIZE = 8
/** Payload without names, properties or body: id (u64), exchange length (u16), routing key length (u16),
 * properties length (u32), expiry (f64 clock ms; 0 for none). */
export const RECORD_FIXED_PAYLOAD = 24
/** u32 entry word (kind bit + index in segment), u32 CRC-32 of the word. */
export const ACK_ENTRY_SIZE = 8

export const ACK_KIND = { remove: 0, delivered: 1 } as const
const INDEX_MASK = 0x7fffffff

export function segmentFileName(baseId: number): string {
  return `${baseId.toString(16).padStart(16, '0')}.seg`
}
export function ackFileName(baseId: number): string {
  return `${baseId.toString(16).padStart(16, '0')}.ack`
}
/** The base id a segment or ack file name encodes, or -1 when the name is not one of ours. */
export function parseFileName(name: string, ext: 'seg' | 'ack'): number {
  const m = /^([0-9a-f]{16})\.(seg|ack)$/.exec(name)
  return m && m[2] === ext ? parseInt(m[1] as string, 16) : -1
}

export function writeSegmentHeader(buf: Buffer, pos: number, baseId: number): void {
  SEGMENT_MAGIC.copy(buf, pos)
  writeU64(buf, pos + 8, baseId)
}

export function segmentHeaderValid(buf: Buffer, baseId: number): boolean {
  return (
    buf.length >= SEGMENT_HEADER_SIZE &&
    buf.compare(SEGMENT_MAGIC, 0, 8, 0, 8) === 0 &&
    readU64(buf, 8) === baseId
  )
}

export function writeU64(buf: Buffer, pos: number, v: number): void {
  buf.writeUInt32BE(Math.floor(v / TWO_32) >>> 0, pos)
  buf.writeUInt32BE(v >>> 0, pos + 4)
}

export function readU64(buf: Buffer, pos: number): number {
  return buf.readUInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4)
}

/** What a record's payload holds besides the body, located inside a buffer. */
export interface RecordView {
  id: number
  exchangeStart: number
  exchangeEnd: number
  routingKeyEnd: number
  propertiesEnd: number
  /** End of the body, which starts at propertiesEnd. */
  end: number
  /** When the message expires (clock ms), or 0 when it has no TTL. */
  expiresAt: number
}

/**
 * Locates the fields of the record at pos in out, checking its CRC when verify is set. Returns the offset
 * after it, or -1 when the bytes there are not a whole valid record (short, bad length or CRC, field
 * lengths that overrun the payload).
 */
export function parseRecord(
  buf: Buffer,
  pos: number,
  limit: number,
  out: RecordView,
  verify: boolean,
): number {
  if (pos + RECORD_HEADER_SIZE + RECORD_FIXED_PAYLOAD > limit) return -1
  const len = buf.readUInt32BE(pos)
  const start = pos + RECORD_HEADER_SIZE
  const end = start + len
  if (len < RECORD_FIXED_PAYLOAD || end > limit) return -1
  if (verify && crc32(buf, start, end) !== buf.readUInt32BE(pos + 4)) return -1
  out.id = readU64(buf, start)
  out.exchangeStart = start + RECORD_FIXED_PAYLOAD
  out.exchangeEnd = out.exchangeStart + buf.readUInt16BE(start + 8)
  out.routingKeyEnd = out.exchangeEnd + buf.readUInt16BE(start + 10)
  out.propertiesEnd = out.routingKeyEnd + buf.readUInt32BE(start + 12)
  out.expiresAt = buf.readDoubleBE(start + 16)
  out.end = end
  return out.propertiesEnd <= end ? end : -1
}

export function newRecordView(): RecordView {
  return { id: 0, exchangeStart: 0, exchangeEnd: 0, routingKeyEnd: 0, propertiesEnd: 0, end: 0, expiresAt: 0 }
}

/**
 * Writes a record's header and payload up to the body at pos (exchange and routing key as UTF-8 of the
 * given byte lengths), and the body too unless it is passed separately. The CRC covers the body either way.
 * Returns the offset after what was written.
 */
export function writeRecordHead(
  buf: Buffer,
  pos: number,
  id: number,
  exchange: string,
  exLen: number,
  routingKey: string,
  rkLen: number,
  properties: Buffer,
  body: Buffer,
  bodyInline: boolean,
  expiresAt = 0,
): number {
  const start = pos + RECORD_HEADER_SIZE
  writeU64(buf, start, id)
  buf.writeDoubleBE(expiresAt, start + 16)
  buf.writeUInt16BE(exLen, start + 8)
  buf.writeUInt16BE(rkLen, start + 10)
  buf.writeUInt32BE(properties.length, start + 12)
  let p = start + RECORD_FIXED_PAYLOAD
  if (exLen > 0) p += buf.write(exchange, p, exLen, 'utf8')
  if (rkLen > 0) p += buf.write(routingKey, p, rkLen, 'utf8')
  p += properties.copy(buf, p)
  if (bodyInline) p += body.copy(buf, p)
  let crc = crc32(buf, start, p)
  if (!bodyInline) crc = crc32(body, 0, body.length, crc)
  buf.writeUInt32BE(p - start + (bodyInline ? 0 : body.length), pos)
  buf.writeUInt32BE(crc, pos + 4)
  return p
}

export function writeAckEntry(buf: Buffer, pos: number, kind: number, index: number): void {
  const word = ((kind << 31) | index) >>> 0
  buf.writeUInt32BE(word, pos)
  buf.writeUInt32BE(crc32(buf, pos, pos + 4), pos + 4)
}

/** Decodes the ack entry at pos: kind << 31 | index, or -1 when its CRC does not match. */
export function readAckEntry(buf: Buffer, pos: number): number {
  if (crc32(buf, pos, pos + 4) !== buf.readUInt32BE(pos + 4)) return -1
  return buf.readUInt32BE(pos)
}

export function ackKind(word: number): number {
  return word >>> 31
}
export function ackIndex(word: number): number {
  return word & INDEX_MASK
}
