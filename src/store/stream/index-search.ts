// Searches of a segment's index by halving: its entries are fixed-size and sorted by offset and by time,
// so finding where an offset or a timestamp is costs log2(chunks) reads of 32 bytes, not a scan. Where
// a reader starts (resolveStart) comes from the segments in memory, or from one of these searches.
import { closeSync, openSync } from 'node:fs'
import { type ChunkInfo, decodeIndexEntry, INDEX_ENTRY_SIZE } from './chunk-codec.js'
import { readAt } from './file-io.js'
import type { StreamStart } from '../../core/ports.js'
import type { Segment } from './segments.js'

/** What resolving a start needs of a log. */
interface LogBounds {
  readonly segments: readonly Segment[]
  readonly firstOffset: number
  readonly nextOffset: number
  readonly committedOffset: number
}

/** The offset a reader attached with `start` begins at. */
export async function resolveStart(log: LogBounds, start: StreamStart): Promise<number> {
  switch (start.kind) {
    case 'first':
      return log.firstOffset
    case 'next':
      return log.nextOffset
    case 'last': {
      const s = [...log.segments].reverse().find((seg) => seg.chunks > 0)
      return s ? s.lastChunkOffset : log.nextOffset
    }
    case 'offset':
      // Past the end, the reader waits for that offset to be written (RabbitMQ's readers do).
      return Math.max(start.offset, log.firstOffset)
    case 'timestamp': {
      const s = log.segments.find((seg) => seg.chunks > 0 && seg.lastTimestamp >= start.at)
      if (!s) return log.committedOffset
      return (await firstChunkSince(s, start.at))?.firstOffset ?? log.committedOffset
    }
  }
}

/** The chunk holding `offset`: the last one whose first offset is not past it. */
export function chunkHolding(s: Segment, offset: number): Promise<ChunkInfo | undefined> {
  return search(s, (e) => e.firstOffset > offset, 'before')
}

/** The first chunk written at or after `at` (ms since the epoch). */
export function firstChunkSince(s: Segment, at: number): Promise<ChunkInfo | undefined> {
  return search(s, (e) => e.timestamp >= at, 'at')
}

/**
 * `past` is false for a prefix of the entries and true for the rest; returns the first entry where it
 * holds ('at') or the last where it does not ('before').
 */
async function search(
  s: Segment,
  past: (e: ChunkInfo) => boolean,
  which: 'at' | 'before',
): Promise<ChunkInfo | undefined> {
  if (s.chunks === 0) return undefined
  const fd = openSync(`${s.base}.index`, 'r')
  try {
    const entry = async (i: number): Promise<ChunkInfo> =>
      decodeIndexEntry(await readAt(fd, i * INDEX_ENTRY_SIZE, INDEX_ENTRY_SIZE), 0)
    let lo = 0
    let hi = s.chunks // the first entry where `past` holds is in [lo, hi]
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (past(await entry(mid))) hi = mid
      else lo = mid + 1
    }
    const i = which === 'at' ? lo : lo - 1
    return i >= 0 && i < s.chunks ? await entry(i) : undefined
  } finally {
    closeSync(fd)
  }
}
