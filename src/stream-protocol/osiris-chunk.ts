// Deliver frames in RabbitMQ's on-wire chunk format (osiris's): a 48-byte header (magic and version,
// chunk type, entry and record counts, timestamp, epoch, first offset, CRC-32 of the data, data and
// trailer lengths, a reserved word), then simple entries (a uint32 size, top bit clear, and an AMQP 1.0
// message). A chunk stored from a publish frame (an encoded batch, see batches.ts) already holds these
// entries and their CRC: it goes out as a 57-byte frame head and the stored bytes, with no work per
// message. A chunk of messages published over AMQP 0-9-1 is encoded message by message. A chunk larger
// than the client's frame max, or read from the middle, goes out as several chunks, each with its own
// first offset, so that every frame fits.
import { crc32 } from 'node:zlib'
import type { StoredBatch, StreamChunk } from '../core/index.js'
import { entryEnds } from './batches.js'
import { KEY } from './constants.js'
import { encodeAmqp10 } from './message-mapping.js'

/** Magic 5, version 0, as osiris writes them. */
const MAGIC_VERSION = 0x50
const CHUNK_TYPE_USER = 0
export const CHUNK_HEADER_SIZE = 48
/** Frame size, key, version and subscription id before the chunk. */
const DELIVER_PREFIX = 4 + 2 + 2 + 1
/** osiris counts a chunk's entries in 16 bits. */
const MAX_ENTRIES = 0xffff

/** A deliver frame as the buffers that make it, in order (a head and stored bytes, or one buffer). */
export type DeliverFrame = Buffer[]

/** The deliver frames of a stored chunk for one subscription, each at most frameMax bytes (0: no limit). */
export function deliverFrames(subscriptionId: number, chunk: StreamChunk, frameMax: number): DeliverFrame[] {
  const room = frameMax === 0 ? Infinity : frameMax - DELIVER_PREFIX - CHUNK_HEADER_SIZE
  const batch = chunk.encoded
  if (batch) {
    if (chunk.skip === 0 && batch.data.length <= room && batch.count <= MAX_ENTRIES) {
      return [[frameHead(subscriptionId, chunk.firstOffset, chunk.timestamp, batch), batch.data]]
    }
    return splitBatch(subscriptionId, chunk, batch, room)
  }
  return messageFrames(subscriptionId, chunk, room).map((f) => [f])
}

/** The head of a deliver frame whose chunk data (its entries, their count and CRC) follows as stored. */
function frameHead(
  subscriptionId: number,
  firstOffset: number,
  timestamp: number,
  batch: StoredBatch,
): Buffer {
  const head = Buffer.allocUnsafe(DELIVER_PREFIX + CHUNK_HEADER_SIZE)
  head.writeUInt32BE(head.length - 4 + batch.data.length, 0)
  head.writeUInt16BE(KEY.deliver, 4)
  head.writeUInt16BE(1, 6)
  head.writeUInt8(subscriptionId, 8)
  writeChunkHeader(head, DELIVER_PREFIX, firstOffset, timestamp, batch.count, batch.data.length)
  head.writeInt32BE(batch.crc | 0, DELIVER_PREFIX + 32)
  return head
}

/** A stored batch from `skip` on, cut where frames would grow past `room`: views of its bytes. */
function splitBatch(
  subscriptionId: number,
  chunk: StreamChunk,
  batch: StoredBatch,
  room: number,
): DeliverFrame[] {
  const ends = entryEnds(batch.data)
  const frames: DeliverFrame[] = []
  let first = chunk.skip
  while (first < ends.length) {
    const from = first === 0 ? 0 : (ends[first - 1] as number)
    let last = first + 1
    while (last < ends.length && last - first < MAX_ENTRIES && (ends[last] as number) - from <= room) last++
    const data = batch.data.subarray(from, ends[last - 1])
    const offset = chunk.firstOffset + first - chunk.skip
    const part = { data, count: last - first, crc: crc32(data) }
    frames.push([frameHead(subscriptionId, offset, chunk.timestamp, part), data])
    first = last
  }
  return frames
}

function messageFrames(subscriptionId: number, chunk: StreamChunk, room: number): Buffer[] {
  const entries = (chunk.messages ?? []).map(encodeAmqp10)
  const frames: Buffer[] = []
  let start = 0
  while (start < entries.length) {
    let end = start
    let size = 0
    // At least one entry per frame: a single message larger than frame max is the client's to refuse.
    while (
      end < entries.length &&
      (end === start || (end - start < MAX_ENTRIES && size + 4 + (entries[end] as Buffer).length <= room))
    ) {
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
  writeChunkHeader(frame, DELIVER_PREFIX, firstOffset, timestamp, entries.length, dataLength)
  frame.writeInt32BE(crc32(frame.subarray(dataStart, at)) | 0, DELIVER_PREFIX + 32)
  return frame
}

/** osiris's chunk header at buf[h], but its CRC (h + 32), which the caller writes. */
function writeChunkHeader(
  buf: Buffer,
  h: number,
  firstOffset: number,
  timestamp: number,
  entries: number,
  dataLength: number,
): void {
  buf.writeUInt8(MAGIC_VERSION, h)
  buf.writeUInt8(CHUNK_TYPE_USER, h + 1)
  buf.writeUInt16BE(entries, h + 2)
  buf.writeUInt32BE(entries, h + 4)
  buf.writeBigInt64BE(BigInt(timestamp), h + 8)
  buf.writeBigUInt64BE(1n, h + 16) // epoch: one leader, never re-elected
  buf.writeBigUInt64BE(BigInt(firstOffset), h + 24)
  buf.writeUInt32BE(dataLength, h + 36)
  buf.writeUInt32BE(0, h + 40) // trailer length
  buf.writeUInt32BE(0, h + 44) // reserved (bloom filter size in later versions)
}
