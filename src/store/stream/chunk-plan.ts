// How a write round turns what was appended into chunks: records appended one by one are grouped into
// chunks of about MAX_CHUNK_BYTES, and each encoded batch becomes a chunk of its own whose data is the
// batch's buffer itself (its header goes beside it in the same vectored write, no copy).
import type { EncodedBatch } from '../../core/ports.js'
import {
  type ChunkInfo,
  encodeBatchHeader,
  encodeChunk,
  encodeIndexEntry,
  INDEX_ENTRY_SIZE,
} from './chunk-codec.js'

/** A write round splits its records into chunks of about this size. */
const MAX_CHUNK_BYTES = 1024 * 1024

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
  let group: Buffer[] = []
  let bytes = 0
  const closeGroup = (): void => {
    if (group.length === 0) return
    const chunk = encodeChunk(first, timestamp, group)
    out.push({ parts: [chunk], firstOffset: first, count: group.length, size: chunk.length })
    first += group.length
    group = []
    bytes = 0
  }
  for (const item of items) {
    if (!Buffer.isBuffer(item)) {
      closeGroup()
      const header = encodeBatchHeader(first, timestamp, item)
      out.push({
        parts: [header, item.data],
        firstOffset: first,
        count: item.count,
        size: header.length + item.data.length,
      })
      first += item.count
      continue
    }
    if (group.length > 0 && bytes + item.length > MAX_CHUNK_BYTES) closeGroup()
    group.push(item)
    bytes += item.length
  }
  closeGroup()
  return out
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
