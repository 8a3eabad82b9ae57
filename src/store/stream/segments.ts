// The segments of a stream log on disk, and their recovery at open. A segment is two files named by the
// offset of its first message: `<offset>.segment` holds chunks back to back, `<offset>.index` one
// fixed-size entry per chunk (offset, timestamp, position), so that finding an offset or a time inside a
// segment is a binary search of its index, not a scan of its data. Only a segment's summary stays in
// memory, never its index, so memory grows with the number of segments, not with the stream.
//
// Recovery is synchronous (a queue gets its offsets at once) and touches the last segment only: every
// other one was fsynced whole before the next began. A kill -9 can leave the last segment with a torn
// chunk, an index entry for a chunk that never reached the disk, or a whole chunk the index lacks; the
// index is cut back to its last intact chunk, chunks past it are re-indexed, and the rest is truncated.
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import {
  type ChunkInfo,
  chunkIntact,
  decodeIndexEntry,
  encodeIndexEntry,
  INDEX_ENTRY_SIZE,
  readChunkHeader,
} from './chunk-codec.js'

export interface Segment {
  readonly firstOffset: number
  /** The paths of its files without their extension. */
  readonly base: string
  /** The offset after its last message. */
  endOffset: number
  /** Of its first and last chunk (0 while it has none). */
  firstTimestamp: number
  lastTimestamp: number
  /** Bytes of its data file. */
  size: number
  /** Index entries (chunks). */
  chunks: number
  /** The first offset of its last chunk. */
  lastChunkOffset: number
}

export function segmentBase(dir: string, firstOffset: number): string {
  return join(dir, String(firstOffset).padStart(20, '0'))
}

export function emptySegment(dir: string, firstOffset: number): Segment {
  const base = segmentBase(dir, firstOffset)
  const s = { firstOffset, base, endOffset: firstOffset, firstTimestamp: 0, lastTimestamp: 0 }
  return { ...s, size: 0, chunks: 0, lastChunkOffset: firstOffset }
}

/** The segments in dir, oldest first, the last one repaired; a new log gets one empty segment. */
export function recoverSegments(dir: string): Segment[] {
  mkdirSync(dir, { recursive: true })
  const firsts = readdirSync(dir)
    .filter((f) => f.endsWith('.segment'))
    .map((f) => Number(f.slice(0, -'.segment'.length)))
    .sort((a, b) => a - b)
  if (firsts.length === 0) {
    const s = emptySegment(dir, 0)
    closeSync(openSync(`${s.base}.segment`, 'a'))
    closeSync(openSync(`${s.base}.index`, 'a'))
    return [s]
  }
  return firsts.map((f, i) => (i === firsts.length - 1 ? repairTail(dir, f) : readSealed(dir, f)))
}

function summarise(
  s: Segment,
  first: ChunkInfo | undefined,
  last: ChunkInfo | undefined,
  chunks: number,
): Segment {
  if (!first || !last) return s
  s.firstTimestamp = first.timestamp
  s.lastTimestamp = last.timestamp
  s.endOffset = last.firstOffset + last.count
  s.lastChunkOffset = last.firstOffset
  s.size = last.position + last.size
  s.chunks = chunks
  return s
}

function readSealed(dir: string, firstOffset: number): Segment {
  const s = emptySegment(dir, firstOffset)
  const fd = openSync(`${s.base}.index`, 'r')
  try {
    const chunks = Math.floor(fstatSync(fd).size / INDEX_ENTRY_SIZE)
    if (chunks === 0) return s
    return summarise(s, readEntry(fd, 0), readEntry(fd, chunks - 1), chunks)
  } finally {
    closeSync(fd)
  }
}

export function readEntry(fd: number, i: number): ChunkInfo {
  const buf = Buffer.allocUnsafe(INDEX_ENTRY_SIZE)
  readSync(fd, buf, 0, INDEX_ENTRY_SIZE, i * INDEX_ENTRY_SIZE)
  return decodeIndexEntry(buf, 0)
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length)
  const n = readSync(fd, buf, 0, length, position)
  return buf.subarray(0, n)
}

/** The last segment as the crash left it, cut back to whole chunks with an index that matches. */
function repairTail(dir: string, firstOffset: number): Segment {
  const s = emptySegment(dir, firstOffset)
  const data = openSync(`${s.base}.segment`, 'r+')
  const index = openSync(`${s.base}.index`, 'a+')
  try {
    const dataSize = fstatSync(data).size
    const entries: ChunkInfo[] = []
    let chunks = Math.floor(fstatSync(index).size / INDEX_ENTRY_SIZE)
    // Index entries whose chunk is missing or torn go, newest first; the first intact one vouches for
    // the ones before it (they were fsynced before it was written).
    let last: ChunkInfo | undefined
    while (chunks > 0) {
      const e = readEntry(index, chunks - 1)
      if (e.position + e.size <= dataSize && chunkIntact(readAt(data, e.position, e.size), 0, e)) {
        last = e
        break
      }
      chunks--
    }
    // Whole chunks written after the last indexed one (the crash came before their index entries).
    let position = last ? last.position + last.size : 0
    let expected = last ? last.firstOffset + last.count : firstOffset
    const tail = readAt(data, position, dataSize - position)
    for (let at = 0; ;) {
      const info = readChunkHeader(tail, at, position)
      if (!info || info.firstOffset !== expected || !chunkIntact(tail, at, info)) break
      entries.push(info)
      at += info.size
      position += info.size
      expected += info.count
    }
    ftruncateSync(data, position)
    ftruncateSync(index, chunks * INDEX_ENTRY_SIZE)
    for (const e of entries) writeSync(index, encodeIndexEntry(e))
    fsyncSync(data)
    fsyncSync(index)
    const first = chunks > 0 ? readEntry(index, 0) : entries[0]
    return summarise(s, first, entries.at(-1) ?? last, chunks + entries.length)
  } finally {
    closeSync(data)
    closeSync(index)
  }
}
