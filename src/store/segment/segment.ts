// One segment file and its ack log, with the in-memory index of the records in it. Ids in a segment are
// dense (baseId, baseId + 1, ...), so the index is three typed arrays addressed by id - baseId: 9 bytes
// per message and no object per message, which keeps a million stored messages at about 9 MB.
import { type FileHandle, open } from 'node:fs/promises'
import { join } from 'node:path'
import { ACK_ENTRY_SIZE, ackFileName, segmentFileName, writeAckEntry } from './record.js'

export const FLAG = { live: 1, delivered: 2 } as const

const INITIAL_CAPACITY = 1024

export class Segment {
  readonly path: string
  readonly ackPath: string
  /** Records in the segment: ids baseId .. baseId + count - 1. */
  count = 0
  /** Records neither removed nor lost. */
  live = 0
  /** Bytes of the file including what is still buffered in memory. */
  size: number
  /** Bytes the OS has (writes completed). Reads beyond this must wait for the writer. */
  written: number
  /** Bytes handed to a write, completed or in flight. */
  taken: number
  offsets: Uint32Array
  bodySizes: Uint32Array
  flags: Uint8Array
  /** Ack entries not yet handed to a write. */
  ackBuf: Buffer | null = null
  ackLen = 0
  /** Reads and recovery scans in flight: the files must not be deleted under them. */
  busy = 0
  reclaimed = false
  /** Whether the ack log exists on disk (creating it needs a directory fsync). */
  ackFileExists = false
  private fh: Promise<FileHandle> | null = null
  private ackFh: Promise<FileHandle> | null = null

  constructor(
    dir: string,
    readonly baseId: number,
    size: number,
    capacity = INITIAL_CAPACITY,
  ) {
    this.path = join(dir, segmentFileName(baseId))
    this.ackPath = join(dir, ackFileName(baseId))
    this.size = size
    this.written = size
    this.taken = size
    this.offsets = new Uint32Array(capacity)
    this.bodySizes = new Uint32Array(capacity)
    this.flags = new Uint8Array(capacity)
  }

  /** Adds a live record; returns its index. */
  push(offset: number, bodySize: number): number {
    const k = this.count
    if (k === this.offsets.length) this.grow(Math.max(INITIAL_CAPACITY, k * 2))
    this.offsets[k] = offset
    this.bodySizes[k] = bodySize
    this.flags[k] = FLAG.live
    this.count = k + 1
    this.live++
    return k
  }

  /** Index of id, or -1 when it is not a live message of this segment. */
  indexOf(id: number): number {
    const k = id - this.baseId
    return k >= 0 && k < this.count && ((this.flags[k] as number) & FLAG.live) !== 0 ? k : -1
  }

  /** End offset of record k: where the next record starts. */
  recordEnd(k: number): number {
    return k + 1 < this.count ? (this.offsets[k + 1] as number) : this.size
  }

  /** Drops the slack of the doubling growth once no more records will be added. */
  seal(): void {
    if (this.offsets.length > this.count) this.grow(this.count)
  }

  private grow(capacity: number): void {
    const offsets = new Uint32Array(capacity)
    const bodySizes = new Uint32Array(capacity)
    const flags = new Uint8Array(capacity)
    offsets.set(this.offsets.subarray(0, this.count))
    bodySizes.set(this.bodySizes.subarray(0, this.count))
    flags.set(this.flags.subarray(0, this.count))
    this.offsets = offsets
    this.bodySizes = bodySizes
    this.flags = flags
  }

  addAck(kind: number, index: number): void {
    if (!this.ackBuf || this.ackLen + ACK_ENTRY_SIZE > this.ackBuf.length) {
      const next = Buffer.allocUnsafe(Math.max(4096, (this.ackBuf?.length ?? 0) * 2))
      if (this.ackBuf) this.ackBuf.copy(next, 0, 0, this.ackLen)
      this.ackBuf = next
    }
    writeAckEntry(this.ackBuf, this.ackLen, kind, index)
    this.ackLen += ACK_ENTRY_SIZE
  }

  /** Puts entries a write could not take back in front of the pending ones. */
  returnAcks(entries: Buffer): void {
    if (entries.length === 0) return
    const pending = this.ackBuf ? this.ackBuf.subarray(0, this.ackLen) : Buffer.alloc(0)
    const next = Buffer.allocUnsafe(Math.max(4096, entries.length + pending.length))
    entries.copy(next, 0)
    pending.copy(next, entries.length)
    this.ackBuf = next
    this.ackLen = entries.length + pending.length
  }

  /** Hands out the pending ack entries. */
  takeAcks(): Buffer | null {
    if (this.ackLen === 0 || !this.ackBuf) return null
    const out = this.ackBuf.subarray(0, this.ackLen)
    this.ackBuf = null
    this.ackLen = 0
    return out
  }

  /** The segment file, opened on first use; create makes it (exclusively: never over another file). */
  handle(create = false): Promise<FileHandle> {
    if (!this.fh) {
      const fh = open(this.path, create ? 'wx+' : 'r')
      this.fh = fh
      // A failed open (EMFILE, say) is not remembered: the next read tries again.
      fh.catch(() => this.fh === fh && (this.fh = null))
    }
    return this.fh
  }

  /** The ack log, opened for appending (and created if missing) on first use. */
  ackHandle(): Promise<FileHandle> {
    if (!this.ackFh) {
      const fh = open(this.ackPath, 'a')
      this.ackFh = fh
      fh.catch(() => this.ackFh === fh && (this.ackFh = null))
    }
    return this.ackFh
  }

  async closeHandles(): Promise<void> {
    const handles = [this.fh, this.ackFh]
    this.fh = null
    this.ackFh = null
    for (const h of handles) if (h) await (await h.catch(() => null))?.close()
  }
}
