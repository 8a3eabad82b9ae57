// Searches of a segment's index by halving: its entries are fixed-size and sorted by offset and by time,
// so finding where an offset or a timestamp is costs log2(chunks) reads of 32 bytes, not a scan.
import { closeSync, openSync } from 'node:fs'
import { type ChunkInfo, decodeIndexEntry, INDEX_ENTRY_SIZE } from './chunk-codec.js'
import { readAt } from './file-io.js'
import type { Segment } from './segments.js'

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
