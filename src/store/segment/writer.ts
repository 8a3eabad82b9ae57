// The I/O side of one queue's segment store. Appends and acks are buffered in memory by the (synchronous)
// store methods; a cycle, run by GroupCommit off the caller's path, hands them to the OS in few large
// writes (writev per segment, one write per ack log), fdatasyncs every file written since the last sync in
// parallel (plus the directory when files were created), then deletes segments whose messages are all gone.
import { AppendBuffer } from './append-buffer.js'
import { GroupCommit } from './group-commit.js'
import { SEGMENT_HEADER_SIZE, writeSegmentHeader } from './record.js'
import type { Segment } from './segment.js'
import { syncDir, unlinkIfExists } from '../fs-util.js'
import { isNoSpace } from '../../shared/index.js'

interface DataJob {
  seg: Segment
  position: number
  bufs: Buffer[]
  bytes: number
}

export interface WriterOptions {
  /** Buffered bytes that start a write without waiting for flush(). */
  writeBehindBytes: number
  /** Longest time a buffered change waits for a sync when nobody calls flush(); 0 disables. */
  autoFlushMs: number
  /** false: a sync cycle writes but does not fsync (a paging store, wiped at every start). */
  fsync: boolean
  /** Told how many bytes each record appended will take on disk (before it is written). */
  onAppend: (bytes: number) => void
  /** Told how many of them the OS has taken (in the file system's figures from then on) or never will. */
  onWritten: (bytes: number) => void
  /** Told when the file system refused a write for lack of space (the writes are retried). */
  onNoSpace: () => void
}

export class SegmentWriter {
  readonly buf = new AppendBuffer()
  readonly commit: GroupCommit
  private active: Segment | null = null
  private rolled: DataJob[] = []
  private dirtyAcks = new Set<Segment>()
  private reclaimable: Segment[] = []
  private unsyncedData = new Set<Segment>()
  private unsyncedAcks = new Set<Segment>()
  private dirDirty = false
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly dir: string,
    private readonly opts: WriterOptions,
    /** Names what is stored, for errors: "messages of queue 'q' in vhost '/'". */
    what = 'messages',
  ) {
    this.commit = new GroupCommit((sync) => this.cycle(sync), what, opts.onNoSpace)
  }

  /** Starts a new active segment: its header is the first thing buffered for it. */
  startSegment(seg: Segment): void {
    if (this.active) this.rolled.push(this.job(this.active))
    this.active = seg
    const slab = this.buf.reserve(SEGMENT_HEADER_SIZE)
    writeSegmentHeader(slab, this.buf.pos, seg.baseId)
    this.buf.commit(this.buf.pos + SEGMENT_HEADER_SIZE)
  }

  /** Called after each buffered change (record or ack entry). */
  changed(): void {
    this.commit.touch()
    if (this.buf.pending >= this.opts.writeBehindBytes) this.commit.requestWrite()
    else if (this.timer === null && this.opts.autoFlushMs > 0) this.armTimer()
  }

  acked(seg: Segment): void {
    this.dirtyAcks.add(seg)
    this.changed()
  }

  /** Deletes the segment's files in a coming cycle (its ack entries are written first regardless). */
  reclaim(seg: Segment): void {
    seg.reclaimed = true
    this.reclaimable.push(seg)
    this.commit.requestWrite()
  }

  /** A reclaimed segment that was busy became free. */
  retryReclaim(): void {
    if (this.reclaimable.length > 0) this.commit.requestWrite()
  }

  /** Closes the files of these segments and of those waiting to be deleted. */
  async closeHandles(segs: Segment[]): Promise<void> {
    for (const s of [...segs, ...this.reclaimable]) await s.closeHandles()
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.commit.stop()
    // What will never be written (a destroyed queue, a disk that stayed full) no longer counts as pending.
    this.discarded(this.rolled)
    this.rolled = []
    this.opts.onWritten(this.buf.take().reduce((n, b) => n + b.length, 0))
  }

  private discarded(jobs: readonly DataJob[]): void {
    for (const j of jobs) this.opts.onWritten(j.bytes)
  }

  /**
   * Bounds how long a change waits for an fsync when nobody flushes, and drops the write buffer of a queue
   * that went quiet: thousands of idle durable queues must not each hold a slab.
   */
  private armTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = null
      const release = (): void => this.buf.releaseIfEmpty()
      if (this.commit.dirty) void this.commit.flush().then(release, () => undefined)
      else release()
    }, this.opts.autoFlushMs)
    this.timer.unref()
  }

  private job(seg: Segment): DataJob {
    const bufs = this.buf.take()
    let bytes = 0
    for (const b of bufs) bytes += b.length
    const job = { seg, position: seg.taken, bufs, bytes }
    seg.taken += bytes
    return job
  }

  private async cycle(sync: boolean): Promise<void> {
    // Everything is taken before the first await: GroupCommit counts on this to know what a sync covers.
    const jobs = this.rolled
    this.rolled = []
    if (this.active && this.buf.pending > 0) jobs.push(this.job(this.active))
    const acks: Segment[] = []
    for (const s of this.dirtyAcks) {
      // A segment deleted in this cycle needs no ack entries: its deletion makes the removals durable.
      if (s.reclaimed && s.busy === 0) s.takeAcks()
      else acks.push(s)
    }
    this.dirtyAcks.clear()
    const reclaim = this.reclaimable
    this.reclaimable = []
    const bySegment = new Map<Segment, DataJob[]>()
    // A segment deleted meanwhile needs none of its data written.
    this.discarded(jobs.filter((j) => j.seg.reclaimed))
    for (const j of jobs) if (!j.seg.reclaimed) bySegment.set(j.seg, [...(bySegment.get(j.seg) ?? []), j])
    const outcomes = await Promise.allSettled([
      ...[...bySegment.values()].map((segJobs) => this.writeSegmentJobs(segJobs)),
      ...acks.map((seg) => this.writeAcks(seg)),
    ])
    // Deleting segments frees space, so it goes on even when a write ran out of it.
    await this.reclaimSegments(reclaim)
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
    // Another error outranks a full disk: it stops the store, where ENOSPC only makes it retry.
    const failure = failures.find((f) => !isNoSpace(f.reason)) ?? failures[0]
    if (failure) throw failure.reason
    if (sync) await this.syncAll()
    // Without the timer nothing else would ever drop the buffer (at the price of one per cycle).
    if (this.opts.autoFlushMs === 0) this.buf.releaseIfEmpty()
  }

  /**
   * One segment's jobs, in order. When the file system is full, the job that failed and those after it
   * are kept, to be written at the same positions by a later cycle (a short write keeps its remainder).
   */
  private async writeSegmentJobs(segJobs: DataJob[]): Promise<void> {
    for (let i = 0; i < segJobs.length; i++) {
      const job = segJobs[i] as DataJob
      try {
        await this.writeData(job)
      } catch (err) {
        if (isNoSpace(err)) this.rolled.unshift(...segJobs.slice(i))
        throw err
      }
    }
  }

  private async writeData(job: DataJob): Promise<void> {
    const created = job.position === 0
    const fh = await job.seg.handle(created)
    if (created) this.dirDirty = true
    const { bytesWritten } = await fh.writev(job.bufs, job.position)
    if (bytesWritten !== job.bytes) {
      // The file system took part of it (it filled up on the way): the rest waits for space.
      advance(job, bytesWritten)
      this.opts.onWritten(bytesWritten)
      throw Object.assign(new Error(`short write to ${job.seg.path}`), { code: 'ENOSPC' })
    }
    job.seg.written = Math.max(job.seg.written, job.position + job.bytes)
    this.opts.onWritten(job.bytes)
    this.unsyncedData.add(job.seg)
  }

  private async writeAcks(seg: Segment): Promise<void> {
    const entries = seg.takeAcks()
    if (!entries) return
    let written = 0
    try {
      const fh = await seg.ackHandle()
      if (!seg.ackFileExists) {
        seg.ackFileExists = true
        this.dirDirty = true
      }
      written = (await fh.write(entries)).bytesWritten
      if (written !== entries.length)
        throw Object.assign(new Error(`short write to ${seg.ackPath}`), { code: 'ENOSPC' })
    } catch (err) {
      // The log is appended to: the entries (or their unwritten rest) go first in the next write.
      if (isNoSpace(err)) {
        seg.returnAcks(entries.subarray(written))
        this.dirtyAcks.add(seg)
      }
      throw err
    }
    this.unsyncedAcks.add(seg)
  }

  private async syncAll(): Promise<void> {
    const data = [...this.unsyncedData]
    const acks = [...this.unsyncedAcks]
    const dir = this.dirDirty
    this.unsyncedData.clear()
    this.unsyncedAcks.clear()
    this.dirDirty = false
    if (!this.opts.fsync) return
    await Promise.all([
      ...data.map(async (s) => (await s.handle()).datasync()),
      ...acks.map(async (s) => (await s.ackHandle()).datasync()),
      dir ? syncDir(this.dir) : undefined,
    ])
  }

  /**
   * The segment file goes first and the directory is synced before the ack log goes: were the ack log to
   * vanish first, a crash in between would bring its removed messages back.
   */
  private async reclaimSegments(segs: Segment[]): Promise<void> {
    const ready = segs.filter((s) => s.busy === 0)
    for (const s of segs) if (s.busy > 0) this.reclaimable.push(s)
    if (ready.length === 0) return
    for (const s of ready) {
      this.unsyncedData.delete(s)
      this.unsyncedAcks.delete(s)
      await s.closeHandles()
    }
    await Promise.all(ready.map((s) => unlinkIfExists(s.path)))
    await syncDir(this.dir)
    await Promise.all(ready.map((s) => unlinkIfExists(s.ackPath)))
  }
}

/** Drops the first n bytes of a job (written by a short write): the rest goes at the new position. */
function advance(job: DataJob, n: number): void {
  let left = n
  while (left > 0 && job.bufs.length > 0) {
    const first = job.bufs[0] as Buffer
    if (first.length <= left) {
      left -= first.length
      job.bufs.shift()
    } else {
      job.bufs[0] = first.subarray(left)
      left = 0
    }
  }
  job.position += n
  job.bytes -= n
}
