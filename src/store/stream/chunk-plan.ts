// How a write round turns what was appended into chunks: records appended one by one are grouped into
// chunks of about MAX_CHUNK_BYTES, and encoded batches appended one after another into batch chunks of
// up to MAX_BATCH_CHUNK_BYTES and MAX_BATCH_ENTRIES, whose data is the batches' buffers themselves (the
// header goes beside them in the same vectored write, no copy). Under load, chunks grow as osiris's do,
// so readers get more messages per read and per delivery.
import type { EncodedBatch } from '../../core/ports.js'
import {
  type ChunkInfo,
  CHUNK_HEADER_SIZE,
  encodeBatchHeader,
  encodeChunk,
  encodeIndexEntry,
  INDEX_ENTRY_SIZE,
} from './chunk-codec.js'
import { crc32 } from '../segment/crc32.js'

/** A write round splits its records into chunks of about this size. */
const MAX_CHUNK_BYTES = 1024 * 1024
/** Batches are joined while their chunk stays below this (so that it fits the usual 1 MiB frame max). */
const MAX_BATCH_CHUNK_BYTES = 512 * 1024
/** Osiris counts a chunk's entries in 16 bits. */
const MAX_BATCH_ENTRIES = 0xffff

/** One record (a message appended alone), or a batch appended encoded. */
export type Appended = Buffer | EncodedBatch

export interface PlannedChunk {
  /** The chunk's bytes, header first. */
  readonly parts: Buffer[]
  readonly firstOffset: number
  readonly count: number
  readonly size: number
}

/** The chunks of a round's appends, in order, offsets from `firstOffset`, all stamped `timestamp`. */
export function planChunks(
  items: readonly Appended[],
  firstOffset: number,
  timestamp: number,
): PlannedChunk[] {
  const out: PlannedChunk[] = []
  let first = firstOffset
  let records: Buffer[] = []
  let batches: EncodedBatch[] = []
  let bytes = 0
  let count = 0
  const close = (): void => {
    const chunk =
      records.length > 0
        ? recordChunk(records, first, timestamp)
        : batches.length > 0
          ? batchChunk(batches, first, timestamp)
          : undefined
    if (!chunk) return
    out.push(chunk)
    first += chunk.count
    records = []
    batches = []
    bytes = 0
    count = 0
  }
  for (const item of items) {
    if (Buffer.isBuffer(item)) {
      if (batches.length > 0 || (records.length > 0 && bytes + item.length > MAX_CHUNK_BYTES)) close()
      records.push(item)
      bytes += item.length
      continue
    }
    const over = bytes + item.data.length > MAX_BATCH_CHUNK_BYTES || count + item.count > MAX_BATCH_ENTRIES
    if (records.length > 0 || (batches.length > 0 && over)) close()
    batches.push(item)
    bytes += item.data.length
    count += item.count
  }
  close()
  return out
}

function recordChunk(records: Buffer[], first: number, timestamp: number): PlannedChunk {
  const chunk = encodeChunk(first, timestamp, records)
  return { parts: [chunk], firstOffset: first, count: records.length, size: chunk.length }
}

function batchChunk(batches: EncodedBatch[], first: number, timestamp: number): PlannedChunk {
  let crc = 0
  let count = 0
  let dataLength = 0
  const parts: Buffer[] = [Buffer.alloc(0)]
  for (const b of batches) {
    crc = crc32(b.data, 0, b.data.length, crc)
    count += b.count
    dataLength += b.data.length
    parts.push(b.data)
  }
  parts[0] = encodeBatchHeader(first, timestamp, count, crc, dataLength)
  return { parts, firstOffset: first, count, size: CHUNK_HEADER_SIZE + dataLength }
}

/** The index entries of chunks written back to back from `position`, in one buffer. */
export function indexEntries(chunks: readonly PlannedChunk[], position: number, timestamp: number): Buffer {
  const out = Buffer.allocUnsafe(chunks.length * INDEX_ENTRY_SIZE)
  let at = position
  chunks.forEach((c, i) => {
    const info: ChunkInfo = {
      firstOffset: c.firstOffset,
      timestamp,
      count: c.count,
      size: c.size,
      position: at,
    }
    encodeIndexEntry(info).copy(out, i * INDEX_ENTRY_SIZE)
    at += c.size
  })
  return out
}
