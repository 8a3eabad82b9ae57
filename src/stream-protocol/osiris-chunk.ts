// Deliver frames in RabbitMQ's on-wire chunk format (osiris's): a 48-byte header (magic and version,
// chunk type, entry and record counts, timestamp, epoch, first offset, CRC-32 of the data, data and
// trailer lengths, a reserved word), then simple entries (a uint32 size, top bit clear, and an AMQP 1.0
// message). A stored chunk larger than the client's frame max goes out as several chunks, each with its
// own first offset, so that every frame fits.
import { crc32 } from 'node:zlib'
import type { StreamChunk } from '../core/index.js'
import { KEY } from './constants.js'
import { encodeAmqp10 } from './message-mapping.js'

/** Magic 5, version 0, as osiris writes them. */
const MAGIC_VERSION = 0x50
const CHUNK_TYPE_USER = 0
export const CHUNK_HEADER_SIZE = 48
/** Frame size, key, version and subscription id before the chunk. */
const DELIVER_PREFIX = 4 + 2 + 2 + 1

/** The deliver frames of a stored chunk for one subscription, each at most frameMax bytes (0: no limit). */
export function deliverFrames(subscriptionId: number, chunk: StreamChunk, frameMax: number): Buffer[] {
  const entries = chunk.messages.map(encodeAmqp10)
  const room = frameMax === 0 ? Infinity : frameMax - DELIVER_PREFIX - CHUNK_HEADER_SIZE
  const frames: Buffer[] = []
  let start = 0
  while (start < entries.length) {
    let end = start
    let size = 0
    // At least one entry per frame: a single message larger than frame max is the client's to refuse.
    while (end < entries.length && (end === start || size + 4 + (entries[end] as Buffer).length <= room)) {
      size += 4 + (entries[end] as Buffer).length
      end++
    }
    frames.push(
      deliverFrame(
        subscriptionId,
        chunk.firstOffset + start,
        chunk.timestamp,
        entries.slice(start, end),
        size,
      ),
    )
    start = end
  }
  return frames
}

function deliverFrame(
  subscriptionId: number,
  firstOffset: number,
  timestamp: number,
  entries: readonly Buffer[],
  dataLength: number,
): Buffer {
  const frame = Buffer.allocUnsafe(DELIVER_PREFIX + CHUNK_HEADER_SIZE + dataLength)
  frame.writeUInt32BE(frame.length - 4, 0)
  frame.writeUInt16BE(KEY.deliver, 4)
  frame.writeUInt16BE(1, 6)
  frame.writeUInt8(subscriptionId, 8)
  let at = DELIVER_PREFIX + CHUNK_HEADER_SIZE
  const dataStart = at
  for (const e of entries) {
    frame.writeUInt32BE(e.length, at)
    e.copy(frame, at + 4)
    at += 4 + e.length
  }
  const h = DELIVER_PREFIX
  frame.writeUInt8(MAGIC_VERSION, h)
  frame.writeUInt8(CHUNK_TYPE_USER, h + 1)
  frame.writeUInt16BE(entries.length, h + 2)
  frame.writeUInt32BE(entries.length, h + 4)
  frame.writeBigInt64BE(BigInt(timestamp), h + 8)
  frame.writeBigUInt64BE(1n, h + 16) // epoch: one leader, never re-elected
  frame.writeBigUInt64BE(BigInt(firstOffset), h + 24)
  frame.writeInt32BE(crc32(frame.subarray(dataStart, at)) | 0, h + 32)
  frame.writeUInt32BE(dataLength, h + 36)
  frame.writeUInt32BE(0, h + 40) // trailer length
  frame.writeUInt32BE(0, h + 44) // reserved (bloom filter size in later versions)
  return frame
}
