// The on-disk log of one stream queue (see segments.ts for the files). Appends are batched: every message
// appended in one event-loop turn, or while the previous write was being written, goes out in one
// vectored write, and one fdatasync per file covers every write made while the previous one ran, so a
// confirm costs a share of a group commit. Writing and syncing overlap: a round is written while the
// one before it is being fsynced, and its own fsync starts at once (up to MAX_SYNCS at a time), so a
// confirm waits for one fsync, not for the end of one already running and then its own. An fsync that
// ends covers everything written before it began, whichever of those running ends first. Messages
// appended one by one make one chunk (several past a size, see chunk-plan.ts), each encoded batch a chunk
// of its own. A segment is sealed once it reaches the maximum segment size; retention then deletes
// whole segments from the old end, never the one being written.
import { closeSync, openSync, renameSync, unlinkSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import type {
  EncodedBatch,
  PersistedMessage,
  StreamLog,
  StreamLogOptions,
  StreamReader,
  StreamRetention,
  StreamStart,
  StreamTrackingData,
} from '../../core/ports.js'
import { syncDir } from '../fs-util.js'
import { INDEX_ENTRY_SIZE, RecordEncoder } from './chunk-codec.js'
import { type Appended, indexEntries, type PlannedChunk, planChunks } from './chunk-plan.js'
import { datasync, writevAt } from './file-io.js'
import { chunkHolding, resolveStart } from './index-search.js'
import { emptySegment, recoverSegments, type Segment } from './segments.js'
import { FileStreamReader } from './stream-reader.js'
import { readTracking, writeTracking } from './tracking-file.js'

/** fsyncs of a log running at once (each holds two threads of libuv's pool, of four by default). */
const MAX_SYNCS = 2
/** Tells apart the directories of logs deleted within the same millisecond. */
let deletions = 0

/** What tests and the store give a log: a clock, and who to tell when it is destroyed. */
export interface LogHost {
  readonly now?: () => number
  readonly destroyed?: (log: FileStreamLog) => void
}

interface Waiter {
  readonly offset: number
  resolve(): void
  reject(err: unknown): void
}

export class FileStreamLog implements StreamLog {
  /** Oldest first; the last one is being written. */
  readonly segments: Segment[]
  nextOffset: number
  committedOffset: number
  bytes = 0
  private dataFd: number
  private indexFd: number
  private lastTimestamp = 0
  private pending: Appended[] = []
  private writing: Promise<void> | undefined
  /** Offsets below it are written (not necessarily fsynced yet). */
  private writtenOffset: number
  private readonly syncs = new Set<Promise<void>>()
  /** A round was written while MAX_SYNCS syncs ran: sync again when one ends. */
  private syncAgain = false
  private scheduled = false
  private waiters: Waiter[] = []
  private readonly listeners: Array<() => void> = []
  private failure: unknown
  private closed = false
  private closing: Promise<void> | undefined
  private retention: StreamRetention
  private readonly encoder = new RecordEncoder()
  private readonly now: () => number
  tracking: StreamTrackingData
  private trackingWrites: Promise<void> = Promise.resolve()

  constructor(
    /** Where the files are; a deleted log's files move aside (see destroy). */
    public dir: string,
    private readonly opts: StreamLogOptions,
    private readonly host: LogHost = {},
  ) {
    this.now = host.now ?? Date.now
    this.segments = recoverSegments(dir)
    this.retention = opts.retention
    for (const s of this.segments) {
      this.bytes += s.size
      this.lastTimestamp = Math.max(this.lastTimestamp, s.lastTimestamp)
    }
    const active = this.active
    this.nextOffset = this.committedOffset = this.writtenOffset = active.endOffset
    this.dataFd = openSync(`${active.base}.segment`, 'r+')
    this.indexFd = openSync(`${active.base}.index`, 'r+')
    this.applyRetention()
    this.tracking = readTracking(dir)
  }

  /** Saves in call order (each write replaces the file); a deleted log saves nothing. */
  saveTracking(t: StreamTrackingData): Promise<void> {
    this.tracking = t
    const write = (): Promise<void> => (this.closed ? Promise.resolve() : writeTracking(this.dir, t))
    return (this.trackingWrites = this.trackingWrites.then(write, write))
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1] as Segment
  }

  get firstOffset(): number {
    return (this.segments[0] as Segment).firstOffset
  }

  /**
   * After a failed write (a full disk) the log takes nothing more until it is opened again: offsets
   * were handed out for what could not be written, and recovery cuts back to what is whole. A closed
   * (deleted) log drops what a publish that raced the delete routed to it.
   */
  append(msg: PersistedMessage): number {
    if (this.failure !== undefined || this.closed) return this.nextOffset
    this.pending.push(this.encoder.encode(msg))
    this.schedule()
    return this.nextOffset++
  }

  appendEncoded(batch: EncodedBatch): number {
    if (this.failure !== undefined || this.closed) return this.nextOffset
    this.pending.push(batch)
    this.schedule()
    const first = this.nextOffset
    this.nextOffset += batch.count
    return first
  }

  flush(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    if (this.closed) return Promise.resolve()
    const offset = this.nextOffset
    if (this.committedOffset >= offset) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.push({ offset, resolve, reject }))
  }

  onCommit(listener: () => void): void {
    this.listeners.push(listener)
  }

  private schedule(): void {
    if (this.scheduled || this.writing || this.closed || this.failure !== undefined) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      if (this.pending.length > 0 && !this.writing) this.writing = this.writeRound()
    })
  }

  /** Writes what was appended as chunks, then has them fsynced (see sync). */
  private async writeRound(): Promise<void> {
    const items = this.pending
    this.pending = []
    try {
      const timestamp = (this.lastTimestamp = Math.max(this.now(), this.lastTimestamp))
      const chunks = planChunks(items, this.writtenOffset, timestamp)
      let run: PlannedChunk[] = []
      let runBytes = 0
      for (const chunk of chunks) {
        const full = this.active.size + runBytes + chunk.size > this.opts.maxSegmentBytes
        if (full && this.active.size + runBytes > 0) {
          await this.writeChunks(run, timestamp)
          run = []
          runBytes = 0
          await this.roll(chunk.firstOffset)
        }
        run.push(chunk)
        runBytes += chunk.size
      }
      await this.writeChunks(run, timestamp)
      const last = chunks[chunks.length - 1]
      if (last) this.writtenOffset = last.firstOffset + last.count
      this.sync()
    } catch (err) {
      this.failed(err)
    } finally {
      this.writing = undefined
      if (this.pending.length > 0 && this.failure === undefined) this.schedule()
    }
  }

  /** Fsyncs what is written, then tells waiters and readers. */
  private sync(): void {
    if (this.syncs.size >= MAX_SYNCS) {
      this.syncAgain = true
      return
    }
    this.syncAgain = false
    const target = this.writtenOffset
    const done = Promise.all([datasync(this.dataFd), datasync(this.indexFd)]).then(
      () => {
        if (target > this.committedOffset && this.failure === undefined) this.committed(target)
      },
      (err: unknown) => this.failed(err),
    )
    const running = done.finally(() => {
      this.syncs.delete(running)
      if (this.syncAgain && this.failure === undefined) this.sync()
    })
    this.syncs.add(running)
  }

  /** Resolves once no sync runs (their fdatasyncs hold the files). */
  private async synced(): Promise<void> {
    while (this.syncs.size > 0) await Promise.all(this.syncs)
  }

  private failed(err: unknown): void {
    this.failure ??= err
    for (const w of this.waiters.splice(0)) w.reject(err)
  }

  /** Chunks that all go into the active segment: one write for their data, one for their index entries. */
  private async writeChunks(chunks: readonly PlannedChunk[], timestamp: number): Promise<void> {
    const last = chunks[chunks.length - 1]
    if (!last) return
    const s = this.active
    const bytes = chunks.reduce((n, c) => n + c.size, 0)
    // Side by side: an index entry whose chunk a crash kept from the disk is dropped at recovery.
    await Promise.all([
      writevAt(
        this.dataFd,
        chunks.flatMap((c) => c.parts),
        s.size,
      ),
      writevAt(this.indexFd, [indexEntries(chunks, s.size, timestamp)], s.chunks * INDEX_ENTRY_SIZE),
    ])
    if (s.chunks === 0) s.firstTimestamp = timestamp
    s.lastTimestamp = timestamp
    s.lastChunkOffset = last.firstOffset
    s.endOffset = last.firstOffset + last.count
    s.size += bytes
    s.chunks += chunks.length
    this.bytes += bytes
  }

  private committed(offset: number): void {
    this.committedOffset = offset
    let n = 0
    while (n < this.waiters.length && (this.waiters[n] as Waiter).offset <= offset) n++
    for (const w of this.waiters.splice(0, n)) w.resolve()
    for (const l of this.listeners) l()
  }

  /** Seals the active segment (fsynced whole) and starts the next at `firstOffset`. */
  private async roll(firstOffset: number): Promise<void> {
    await this.synced() // their fdatasyncs hold the files about to be closed
    await Promise.all([datasync(this.dataFd), datasync(this.indexFd)])
    closeSync(this.dataFd)
    closeSync(this.indexFd)
    const s = emptySegment(this.dir, firstOffset)
    this.dataFd = openSync(`${s.base}.segment`, 'w+')
    this.indexFd = openSync(`${s.base}.index`, 'w+')
    this.segments.push(s)
    await syncDir(this.dir)
    this.applyRetention()
  }

  /** Deletes the oldest segments while the log is over its size or they are past its age. */
  applyRetention(): void {
    const { maxBytes, maxAgeMs } = this.retention
    const oldEnough = this.now() - (maxAgeMs ?? 0)
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as Segment
      const over = maxBytes !== undefined && this.bytes > maxBytes
      const aged = maxAgeMs !== undefined && oldest.lastTimestamp < oldEnough
      if (!over && !aged) break
      this.segments.shift()
      this.bytes -= oldest.size
      // Readers with the files open read on (an unlinked file lives while open); new ones start after.
      for (const ext of ['.segment', '.index']) unlinkSync(`${oldest.base}${ext}`)
    }
  }

  setRetention(r: StreamRetention): void {
    this.retention = r
    this.applyRetention()
  }

  resolveStart(start: StreamStart): Promise<number> {
    return resolveStart(this, start)
  }

  openReader(offset: number): StreamReader {
    return new FileStreamReader(this, offset)
  }

  /** Where the chunk holding `offset` starts: its segment and position (for readers). */
  async locate(offset: number): Promise<{ segment: Segment; position: number }> {
    let i = this.segments.length - 1
    while (i > 0 && (this.segments[i] as Segment).firstOffset > offset) i--
    const segment = this.segments[i] as Segment
    // A segment's first message is at its start: no index search (a reader attaching at `first`).
    if (offset <= segment.firstOffset) return { segment, position: 0 }
    const chunk = await chunkHolding(segment, offset)
    return { segment, position: chunk?.position ?? 0 }
  }

  /** The segment after `s`, if it is still kept. */
  segmentAfter(s: Segment): Segment | undefined {
    const i = this.segments.indexOf(s)
    return i < 0 ? undefined : this.segments[i + 1]
  }

  isActive(s: Segment): boolean {
    return s === this.active
  }

  /** Writes what was appended, then closes the files (once, however often it is called). */
  close(): Promise<void> {
    return (this.closing ??= this.shut())
  }

  private async shut(): Promise<void> {
    await this.flush().catch(() => undefined)
    this.closed = true
    await this.writing
    await this.synced()
    await this.trackingWrites.catch(() => undefined)
    closeSync(this.dataFd)
    closeSync(this.indexFd)
  }

  /**
   * The directory is named after the stream, so a stream of the same name created while this one is
   * still closing would open these files: they move aside first (one rename, before any await) and
   * are removed from there.
   */
  async destroy(): Promise<void> {
    const aside = `${this.dir}.deleted-${Date.now()}-${++deletions}`
    try {
      renameSync(this.dir, aside)
      this.dir = aside
    } catch {
      // already gone, or not movable: removed where it is
    }
    await this.close()
    this.host.destroyed?.(this)
    await rm(this.dir, { recursive: true, force: true })
  }
}
