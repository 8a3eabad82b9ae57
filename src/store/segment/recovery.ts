// Rebuilds a queue's index from its files when the store opens. Segments are scanned in id order and every
// record's CRC is checked; the first bad record ends a segment's scan (a torn tail after a crash, rarely
// corruption) and is reported rather than failing the queue. Ack logs are then applied on top. Segments
// left with no live message are deleted here, as they would have been had the broker not stopped.
import { readdir, readFile, rename, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDir, unlinkIfExists } from '../fs-util.js'
import {
  ACK_ENTRY_SIZE,
  ACK_KIND,
  ackFileName,
  ackIndex,
  ackKind,
  newRecordView,
  parseFileName,
  parseRecord,
  readAckEntry,
  RECORD_FIXED_PAYLOAD,
  RECORD_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  segmentHeaderValid,
} from './record.js'
import { FLAG, Segment } from './segment.js'

/** Something recovery dropped or skipped; also logged as a warning. */
export interface RecoveryIssue {
  file: string
  /** Where the dropped bytes start. */
  offset: number
  droppedBytes: number
  reason: string
}

export interface ScanResult {
  /** Segments holding live messages, in id order. */
  segments: Segment[]
  /** The id the next append gets. */
  nextId: number
  issues: RecoveryIssue[]
}

export async function scanQueueDir(dir: string, firstId: number): Promise<ScanResult> {
  const names = await readdir(dir)
  const segBases = names.map((n) => parseFileName(n, 'seg')).filter((b) => b >= 0)
  segBases.sort((a, b) => a - b)
  const ackBases = new Set(names.map((n) => parseFileName(n, 'ack')).filter((b) => b >= 0))
  const result: ScanResult = { segments: [], nextId: firstId, issues: [] }
  const dead: Segment[] = []
  for (const base of segBases) {
    const seg = await scanSegment(dir, base, result.issues)
    result.nextId = Math.max(result.nextId, base + Math.max(seg.count, 1))
    if (ackBases.delete(base)) await applyAckLog(seg, result.issues)
    seg.seal()
    if (seg.live > 0) result.segments.push(seg)
    else dead.push(seg)
  }
  await deleteDead(dir, dead, [...ackBases])
  return result
}

async function scanSegment(dir: string, base: number, issues: RecoveryIssue[]): Promise<Segment> {
  const seg = new Segment(dir, base, SEGMENT_HEADER_SIZE)
  const buf = await readFile(seg.path)
  if (!segmentHeaderValid(buf, base)) {
    await setAsideBadSegment(seg, buf, issues)
    return seg
  }
  const view = newRecordView()
  let pos = SEGMENT_HEADER_SIZE
  while (pos < buf.length) {
    const next = parseRecord(buf, pos, buf.length, view, true)
    if (next < 0 || view.id !== base + seg.count) {
      const reason = next < 0 ? badRecordReason(buf, pos) : `id ${view.id} out of sequence`
      issues.push({ file: seg.path, offset: pos, droppedBytes: buf.length - pos, reason })
      break
    }
    seg.push(pos, view.end - view.propertiesEnd)
    pos = next
  }
  seg.size = seg.written = seg.taken = pos
  return seg
}

/**
 * A header shorter than its 16 bytes is a segment created just before a crash: nothing in it was ever
 * confirmed. Anything else is kept aside as *.corrupt for inspection, out of the store's way.
 */
async function setAsideBadSegment(seg: Segment, buf: Buffer, issues: RecoveryIssue[]): Promise<void> {
  if (buf.length >= SEGMENT_HEADER_SIZE && buf.some((b) => b !== 0)) {
    await rename(seg.path, `${seg.path}.corrupt`)
    issues.push({
      file: seg.path,
      offset: 0,
      droppedBytes: buf.length,
      reason: 'bad segment header, renamed to .corrupt',
    })
  } else if (buf.length > 0) {
    issues.push({ file: seg.path, offset: 0, droppedBytes: buf.length, reason: 'torn segment header' })
  }
}

function badRecordReason(buf: Buffer, pos: number): string {
  const left = buf.length - pos
  if (left < RECORD_HEADER_SIZE + RECORD_FIXED_PAYLOAD) return 'truncated record header'
  const len = buf.readUInt32BE(pos)
  if (len < RECORD_FIXED_PAYLOAD) return `bad record length ${len}`
  if (RECORD_HEADER_SIZE + len > left)
    return `truncated record (${left} of ${RECORD_HEADER_SIZE + len} bytes)`
  return 'checksum mismatch'
}

/**
 * Applies removals and delivered-marks. Entries are 8-byte aligned, so a bad one is skipped and the rest
 * still read; a partial entry at the end is cut off, since new entries are appended after it.
 */
async function applyAckLog(seg: Segment, issues: RecoveryIssue[]): Promise<void> {
  const buf = await readFile(seg.ackPath)
  seg.ackFileExists = true
  const whole = buf.length - (buf.length % ACK_ENTRY_SIZE)
  if (whole < buf.length) {
    await truncate(seg.ackPath, whole)
    issues.push({
      file: seg.ackPath,
      offset: whole,
      droppedBytes: buf.length - whole,
      reason: 'torn ack entry',
    })
  }
  let bad = 0
  for (let pos = 0; pos < whole; pos += ACK_ENTRY_SIZE) {
    const word = readAckEntry(buf, pos)
    if (word < 0) bad++
    else applyAck(seg, ackKind(word), ackIndex(word))
  }
  if (bad > 0) {
    issues.push({
      file: seg.ackPath,
      offset: 0,
      droppedBytes: bad * ACK_ENTRY_SIZE,
      reason: `${bad} ack entries with bad checksum skipped`,
    })
  }
}

/** Entries for records the scan did not find (lost in a torn tail) are ignored. */
function applyAck(seg: Segment, kind: number, k: number): void {
  if (k >= seg.count) return
  const f = seg.flags[k] as number
  if ((f & FLAG.live) === 0) return
  if (kind === ACK_KIND.remove) {
    seg.flags[k] = 0
    seg.live--
  } else {
    seg.flags[k] = f | FLAG.delivered
  }
}

/** Segment files go before their ack logs, with a directory sync between (see SegmentWriter). */
async function deleteDead(dir: string, dead: Segment[], orphanAcks: number[]): Promise<void> {
  if (dead.length === 0 && orphanAcks.length === 0) return
  for (const s of dead) await unlinkIfExists(s.path)
  await syncDir(dir)
  for (const s of dead) await unlinkIfExists(s.ackPath)
  for (const base of orphanAcks) await unlinkIfExists(join(dir, ackFileName(base)))
}
