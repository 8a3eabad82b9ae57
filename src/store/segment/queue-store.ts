// Segment store, one queue. Messages append to fixed-size segment files; removals and delivered-marks
// append to that segment's ack log. A segment is deleted once every message in it is removed, so data is
// never rewritten. The mutating methods are synchronous and only buffer (no syscall per message);
// SegmentWriter does the I/O in group-commit cycles. See docs/storage.md.
import type { PersistedMessage, QueueStore, RecoveredMessage, RecoverOptions } from '../../core/ports.js'
import type { ShortStringCache } from '../../protocol/index.js'
import type { Logger } from '../../shared/index.js'
import { removeDirDurably } from '../fs-util.js'
import { MessageDecoder, PropertiesEncoder } from './message-codec.js'
import {
  ACK_KIND,
  newRecordView,
  parseRecord,
  RECORD_FIXED_PAYLOAD,
  RECORD_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  writeRecordHead,
} from './record.js'
import { DeliveryLease, readLease } from './delivery-lease.js'
import { type RecoveryIssue, scanQueueDir } from './recovery.js'
import { FLAG, Segment } from './segment.js'
import { SegmentWriter, type WriterOptions } from './writer.js'

export interface SegmentQueueOptions extends WriterOptions {
  /** A segment is rolled when the next record would take it past this size. */
  segmentSize: number
  logger: Logger
  /** Decoded short strings of stored properties, shared by the message store's queues. */
  shortStrings: ShortStringCache
}

/** Bodies this large are queued for writing by reference rather than copied into the write buffer. */
const BY_REFERENCE = 64 * 1024
const FIRST_ID = 1

export class SegmentQueueStore implements QueueStore {
  /** What recovery dropped when this queue was opened (each also logged as a warning). */
  readonly recoveryIssues: readonly RecoveryIssue[]
  private readonly segments: Segment[]
  private active: Segment | null = null
  private nextId: number
  private messages = 0
  private bytes = 0
  private state: 'open' | 'closing' | 'closed' = 'open'
  private finished: Promise<void> | null = null
  private readonly writer: SegmentWriter
  private readonly propsEncoder = new PropertiesEncoder()
  private readonly decoder: MessageDecoder
  private readonly view = newRecordView()
  private readonly lease: DeliveryLease

  static async open(
    dir: string,
    vhost: string,
    queue: string,
    opts: SegmentQueueOptions,
    onGone: (finished: Promise<void>) => void,
  ): Promise<SegmentQueueStore> {
    const scan = await scanQueueDir(dir, FIRST_ID)
    for (const i of scan.issues) {
      opts.logger.warn(
        { vhost, queue, ...i },
        `message store recovery dropped ${i.droppedBytes} bytes: ${i.reason}`,
      )
    }
    const lease = await readLease(dir)
    return new SegmentQueueStore(dir, vhost, queue, opts, scan, lease, onGone)
  }

  private constructor(
    readonly dir: string,
    readonly vhost: string,
    readonly queue: string,
    private readonly opts: SegmentQueueOptions,
    scan: { segments: Segment[]; nextId: number; issues: RecoveryIssue[] },
    /** The delivery lease found on disk: after a crash, messages up to it may have been delivered. */
    private readonly crashLease: number,
    private readonly onGone: (finished: Promise<void>) => void,
  ) {
    this.segments = scan.segments
    this.nextId = scan.nextId
    this.recoveryIssues = scan.issues
    this.writer = new SegmentWriter(dir, opts, `messages of queue '${queue}' in vhost '${vhost}'`)
    this.decoder = new MessageDecoder(opts.shortStrings)
    // Ids restart at 1 when no segment is left: a lease from before must not cover the new ones.
    this.lease = new DeliveryLease(dir, Math.min(crashLease, scan.nextId - 1))
    for (const s of this.segments) {
      this.messages += s.live
      for (let k = 0; k < s.count; k++)
        if ((s.flags[k] as number) & FLAG.live) this.bytes += s.bodySizes[k] as number
    }
  }

  /** Completed sync cycles: one fsync round each, shared by every flush() that waited on it. */
  get syncCount(): number {
    return this.writer.commit.syncs
  }

  /** Bytes appended and not yet handed to the OS (for back-pressure). */
  get bufferedBytes(): number {
    return this.writer.buf.pending
  }

  append(msg: PersistedMessage, expiresAt?: number): number {
    this.assertOpen()
    const props = msg.rawProperties ?? this.propsEncoder.encode(msg.properties)
    const exLen = Buffer.byteLength(msg.exchange)
    const rkLen = Buffer.byteLength(msg.routingKey)
    if (exLen > 0xffff || rkLen > 0xffff)
      throw new RangeError('exchange or routing key longer than 65535 bytes')
    const head = RECORD_HEADER_SIZE + RECORD_FIXED_PAYLOAD + exLen + rkLen + props.length
    const body = msg.body
    const total = head + body.length
    const seg = this.segmentFor(total)
    const id = this.nextId++
    const inline = body.length < BY_REFERENCE
    const buf = this.writer.buf
    const slab = buf.reserve(inline ? total : head)
    buf.commit(
      writeRecordHead(
        slab,
        buf.pos,
        id,
        msg.exchange,
        exLen,
        msg.routingKey,
        rkLen,
        props,
        body,
        inline,
        expiresAt ?? 0,
      ),
    )
    if (!inline) buf.ref(body)
    seg.push(seg.size, body.length)
    seg.size += total
    this.messages++
    this.bytes += body.length
    // Counted when buffered, not when written: a disk alarm must come before the bytes reach the disk.
    this.opts.onAppend(total)
    this.writer.changed()
    return id
  }

  /** The exact mark goes with the next group commit; the returned wait covers a crash before that. */
  markDelivered(id: number): Promise<void> | undefined {
    this.assertOpen()
    const seg = this.find(id)
    const k = seg ? seg.indexOf(id) : -1
    if (!seg || k < 0) return undefined
    if (((seg.flags[k] as number) & FLAG.delivered) === 0) {
      seg.flags[k] = (seg.flags[k] as number) | FLAG.delivered
      seg.addAck(ACK_KIND.delivered, k)
      this.writer.acked(seg)
    }
    return this.lease.cover(id)
  }

  remove(id: number): void {
    this.assertOpen()
    const seg = this.find(id)
    const k = seg ? seg.indexOf(id) : -1
    if (!seg || k < 0) return
    seg.flags[k] = 0
    seg.live--
    this.messages--
    this.bytes -= seg.bodySizes[k] as number
    // The entry is written even when the segment is about to go: deletion may be held up by a read.
    seg.addAck(ACK_KIND.remove, k)
    this.writer.acked(seg)
    if (seg.live === 0 && seg !== this.active) this.dropSegment(seg)
  }

  flush(): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.closedError())
    return this.writer.commit.flush()
  }

  async read(id: number): Promise<PersistedMessage> {
    this.assertOpen()
    const seg = this.find(id)
    const k = seg ? seg.indexOf(id) : -1
    if (!seg || k < 0)
      throw new Error(`message ${id} is not stored for queue '${this.queue}' in vhost '${this.vhost}'`)
    const delivered = ((seg.flags[k] as number) & FLAG.delivered) !== 0
    seg.busy++
    try {
      const buf = await this.readRange(seg, seg.offsets[k] as number, seg.recordEnd(k))
      if (parseRecord(buf, 0, buf.length, this.view, true) !== buf.length || this.view.id !== id) {
        throw new Error(
          `message ${id} of queue '${this.queue}' in vhost '${this.vhost}' is corrupt in ${seg.path}`,
        )
      }
      return this.decoder.decode(buf, this.view, false, delivered)
    } finally {
      this.release(seg)
    }
  }

  /** The records of each segment are read with one read covering them; any order, answered in order. */
  async readBatch(ids: readonly number[]): Promise<PersistedMessage[]> {
    this.assertOpen()
    if (!isAscending(ids)) {
      // Paged out in several steps (memory pressure): ids of one page need not ascend.
      const order = ids.map((_, k) => k).sort((a, b) => (ids[a] as number) - (ids[b] as number))
      const sorted = await this.readBatch(order.map((k) => ids[k] as number))
      const out = new Array<PersistedMessage>(ids.length)
      order.forEach((k, n) => (out[k] = sorted[n] as PersistedMessage))
      return out
    }
    const out: PersistedMessage[] = []
    let i = 0
    while (i < ids.length) {
      const seg = this.find(ids[i] as number)
      if (!seg)
        throw new Error(`message ${ids[i]} is not stored for queue '${this.queue}' in vhost '${this.vhost}'`)
      let j = i
      while (j < ids.length && (ids[j] as number) < seg.baseId + seg.count) j++
      if (j === i)
        throw new Error(`message ${ids[i]} is not stored for queue '${this.queue}' in vhost '${this.vhost}'`)
      out.push(...(await this.readFromSegment(seg, ids.slice(i, j))))
      i = j
    }
    return out
  }

  private async readFromSegment(seg: Segment, ids: readonly number[]): Promise<PersistedMessage[]> {
    const ks = ids.map((id) => seg.indexOf(id))
    if (ks.some((k) => k < 0)) throw new Error(`a requested message is not stored in ${seg.path}`)
    const from = seg.offsets[ks[0] as number] as number
    seg.busy++
    try {
      const buf = await this.readRange(seg, from, seg.recordEnd(ks[ks.length - 1] as number))
      return ks.map((k, n) => {
        const at = (seg.offsets[k] as number) - from
        if (parseRecord(buf, at, buf.length, this.view, true) < 0 || this.view.id !== ids[n]) {
          throw new Error(
            `message ${ids[n]} of queue '${this.queue}' in vhost '${this.vhost}' is corrupt in ${seg.path}`,
          )
        }
        return this.decoder.decode(buf, this.view, false, ((seg.flags[k] as number) & FLAG.delivered) !== 0)
      })
    } finally {
      this.release(seg)
    }
  }

  async recover(onMessage: (m: RecoveredMessage) => void, opts?: RecoverOptions): Promise<void> {
    this.assertOpen()
    const endId = this.nextId
    // One read buffer for every segment: what is decoded from it is copied (or, without retainBodies,
    // not kept), so a recovery holds one segment's bytes at a time rather than leaving each to the GC.
    const scratch: Scratch = { buf: Buffer.alloc(0) }
    for (const seg of [...this.segments]) {
      if (seg.baseId >= endId) break
      // A segment deleted meanwhile has nothing left to replay; marking it busy would hold up its deletion.
      if (seg.reclaimed) continue
      seg.busy++
      try {
        await this.replay(seg, endId, onMessage, opts?.retainBodies !== false, scratch)
      } finally {
        // The interners compare against the read buffer, which the next segment's bytes overwrite.
        this.decoder.release()
        this.release(seg)
      }
    }
    this.decoder.release()
  }

  stats(): { messages: number; bytes: number } {
    return { messages: this.messages, bytes: this.bytes }
  }

  close(): Promise<void> {
    if (this.state !== 'open') return this.finished ?? Promise.resolve()
    return this.shutDown(false)
  }

  destroy(): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.closedError())
    return this.shutDown(true)
  }

  /**
   * Flushes (unless everything is to be deleted anyway), stops the writer and closes the files. onGone
   * hears of it at once, so that a reopen of the queue waits for this to finish.
   */
  private shutDown(destroy: boolean): Promise<void> {
    this.state = 'closing'
    const run = async (): Promise<void> => {
      try {
        if (!destroy) {
          await this.writer.commit.flush()
          await this.lease.release()
        }
      } finally {
        this.writer.stop()
        await this.writer.commit.idle()
        await this.writer.closeHandles(this.segments)
        await this.lease.close()
        this.state = 'closed'
      }
      if (destroy) await removeDirDurably(this.dir)
    }
    this.finished = run()
    this.onGone(this.finished)
    return this.finished
  }

  /** The segment the next record goes to: rolled when the record would not fit (unless it is empty). */
  private segmentFor(total: number): Segment {
    const a = this.active
    if (a && (a.size + total <= this.opts.segmentSize || a.count === 0)) return a
    if (a) a.seal()
    const seg = new Segment(this.dir, this.nextId, SEGMENT_HEADER_SIZE)
    seg.written = seg.taken = 0
    this.writer.startSegment(seg)
    this.segments.push(seg)
    this.active = seg
    if (a && a.live === 0) this.dropSegment(a)
    return seg
  }

  private dropSegment(seg: Segment): void {
    this.segments.splice(this.segments.indexOf(seg), 1)
    this.writer.reclaim(seg)
  }

  /** The segment that holds id if any: the oldest one first, since that is where acks mostly land. */
  private find(id: number): Segment | undefined {
    const segs = this.segments
    const first = segs[0]
    if (!first || id < first.baseId + first.count) return first
    let lo = 0
    let hi = segs.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if ((segs[mid] as Segment).baseId <= id) lo = mid
      else hi = mid - 1
    }
    return segs[lo]
  }

  private async replay(
    seg: Segment,
    endId: number,
    onMessage: (m: RecoveredMessage) => void,
    copy: boolean,
    scratch: Scratch,
  ): Promise<void> {
    const last = Math.min(seg.count, endId - seg.baseId)
    let first = 0
    while (first < last && ((seg.flags[first] as number) & FLAG.live) === 0) first++
    if (first === last) return
    const from = seg.offsets[first] as number
    const buf = await this.readRange(seg, from, seg.recordEnd(last - 1), scratch)
    for (let k = first; k < last; k++) {
      const f = seg.flags[k] as number
      if ((f & FLAG.live) === 0) continue
      // Checksums were verified when the queue was opened; records appended since are our own.
      if (parseRecord(buf, (seg.offsets[k] as number) - from, buf.length, this.view, false) < 0) {
        throw new Error(`segment ${seg.path} changed under the store at offset ${seg.offsets[k]}`)
      }
      onMessage(this.decoder.decode(buf, this.view, copy, this.recoveredDelivered(seg, k)))
    }
  }

  /**
   * Whether a recovered message may have been delivered: marked so, or covered by the lease of a run that
   * crashed. The latter gets its mark now, so that it keeps the flag after a later clean close.
   */
  private recoveredDelivered(seg: Segment, k: number): boolean {
    const f = seg.flags[k] as number
    if ((f & FLAG.delivered) !== 0) return true
    if (seg.baseId + k > this.crashLease) return false
    seg.flags[k] = f | FLAG.delivered
    seg.addAck(ACK_KIND.delivered, k)
    this.writer.acked(seg)
    return true
  }

  /** Bytes [from, to) of a segment, waiting for the writer when part of them is still buffered. */
  private async readRange(seg: Segment, from: number, to: number, scratch?: Scratch): Promise<Buffer> {
    // Reads of buffered records are rare (the core reads back paged-out, so old, messages).
    if (to > seg.written) await this.writer.commit.flush()
    const fh = await seg.handle()
    let buf: Buffer
    if (scratch) {
      if (scratch.buf.length < to - from) scratch.buf = Buffer.allocUnsafe(to - from)
      buf = scratch.buf.subarray(0, to - from)
    } else buf = Buffer.allocUnsafe(to - from)
    for (let got = 0; got < buf.length;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, from + got)
      if (bytesRead === 0)
        throw new Error(`segment ${seg.path} is shorter than its index (${from + got} < ${to})`)
      got += bytesRead
    }
    return buf
  }

  private release(seg: Segment): void {
    seg.busy--
    if (seg.reclaimed && seg.busy === 0) this.writer.retryReclaim()
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw this.closedError()
    if (this.writer.commit.failed) throw this.writer.commit.failed
  }

  private closedError(): Error {
    return new Error(`message store for queue '${this.queue}' in vhost '${this.vhost}' is closed`)
  }
}

/** A read buffer reused across reads. */
interface Scratch {
  buf: Buffer
}

function isAscending(ids: readonly number[]): boolean {
  for (let k = 1; k < ids.length; k++) if ((ids[k] as number) <= (ids[k - 1] as number)) return false
  return true
}
