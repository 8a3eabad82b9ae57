// A reader of a stream log: finds the chunk holding its start offset once (an index search), then reads
// chunk after chunk forwards, crossing into the next segment at the end of one. It holds one segment file
// open and reads up to READ_AHEAD bytes of it at a time, handing out the chunks in them without reading
// again (a batch chunk's data as a view of that buffer, so a front end sends it without a copy). A reader overtaken by retention (its next segment deleted)
// moves on to the oldest message kept, as a RabbitMQ stream consumer does.
import { closeSync, openSync } from 'node:fs'
import type { StreamChunk, StreamReader } from '../../core/ports.js'
import { batchOf, type ChunkInfo, decodeChunk, readChunkHeader } from './chunk-codec.js'
import { readAt } from './file-io.js'
import type { Segment } from './segments.js'
import type { FileStreamLog } from './stream-log.js'

/** Read in one go: the chunks in it then need no further read. */
const READ_AHEAD = 1024 * 1024
/** Read at least this much, so that a chunk's header comes with its data. */
const MIN_READ = 64 * 1024

interface Cursor {
  segment: Segment
  fd: number
  position: number
  /** Bytes read ahead, from the file position `at`. */
  ahead?: { buf: Buffer; at: number }
}

export class FileStreamReader implements StreamReader {
  private cursor: Cursor | undefined
  private closed = false

  constructor(
    private readonly log: FileStreamLog,
    public nextOffset: number,
  ) {}

  async read(): Promise<StreamChunk | undefined> {
    for (;;) {
      if (this.closed || this.nextOffset >= this.log.committedOffset) return undefined
      const at = await this.position()
      if (at === undefined) continue
      const { buf, start, info } = await this.chunkAt(at)
      at.position += info.size
      const end = info.firstOffset + info.count
      if (end <= this.nextOffset) continue
      const skip = Math.max(0, this.nextOffset - info.firstOffset)
      this.nextOffset = end
      const base = {
        firstOffset: info.firstOffset + skip,
        timestamp: info.timestamp,
        count: info.count - skip,
        skip,
      }
      if (info.batch) return { ...base, encoded: batchOf(buf, start, info) }
      return { ...base, messages: decodeChunk(buf, start, info, skip) }
    }
  }

  /** The chunk at the cursor: from the bytes read ahead when they hold it whole, else read now. */
  private async chunkAt(at: Cursor): Promise<{ buf: Buffer; start: number; info: ChunkInfo }> {
    const ahead = at.ahead
    if (ahead && at.position >= ahead.at) {
      const start = at.position - ahead.at
      const info = readChunkHeader(ahead.buf, start, at.position)
      if (info && start + info.size <= ahead.buf.length) return { buf: ahead.buf, start, info }
    }
    const known = Math.max(at.segment.size - at.position, MIN_READ)
    const head = await readAt(at.fd, at.position, Math.min(READ_AHEAD, known))
    const info = readChunkHeader(head, 0, at.position)
    if (!info) throw new Error(`stream ${this.log.dir}: no chunk at ${at.segment.base}:${at.position}`)
    const buf = info.size <= head.length ? head : await readAt(at.fd, at.position, info.size)
    at.ahead = { buf, at: at.position }
    return { buf, start: 0, info }
  }

  /** The cursor at the next chunk to read; undefined when it had to move (call again). */
  private async position(): Promise<Cursor | undefined> {
    const c = this.cursor
    if (c && (c.position < c.segment.size || this.log.isActive(c.segment))) return c
    if (c) {
      this.release()
      const next = this.log.segmentAfter(c.segment)
      if (next) this.cursor = this.openAt(next, 0)
      return this.cursor
    }
    if (this.nextOffset < this.log.firstOffset) this.nextOffset = this.log.firstOffset
    const { segment, position } = await this.log.locate(this.nextOffset)
    this.cursor = this.openAt(segment, position)
    return this.cursor
  }

  private openAt(segment: Segment, position: number): Cursor | undefined {
    try {
      return { segment, position, fd: openSync(`${segment.base}.segment`, 'r') }
    } catch {
      return undefined // deleted by retention meanwhile: locate again from the oldest kept
    }
  }

  private release(): void {
    if (this.cursor) closeSync(this.cursor.fd)
    this.cursor = undefined
  }

  close(): void {
    this.closed = true
    this.release()
  }
}
