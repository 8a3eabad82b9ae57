// The Stream protocol's tracking data of one stream (stored offsets, publisher sequences), in
// tracking.json beside its segments. Each save replaces the file atomically (temp file, fsync, rename,
// directory fsync), so a crash leaves the old or the new data; an unreadable file counts as none.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StreamTrackingData } from '../../core/ports.js'
import { writeFileAtomic } from '../fs-util.js'

const FILE = 'tracking.json'

export const NO_TRACKING: StreamTrackingData = { offsets: {}, sequences: {} }

export function readTracking(dir: string): StreamTrackingData {
  try {
    const t = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as Partial<StreamTrackingData>
    return { offsets: numbers(t.offsets), sequences: numbers(t.sequences) }
  } catch {
    return NO_TRACKING
  }
}

function numbers(v: unknown): Record<string, number> {
  const out: Record<string, number> = {}
  if (typeof v !== 'object' || v === null) return out
  for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isFinite(n)) out[k] = n
  return out
}

export function writeTracking(dir: string, t: StreamTrackingData): Promise<void> {
  return writeFileAtomic(join(dir, FILE), JSON.stringify(t))
}
