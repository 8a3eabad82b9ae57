// A reader of a stream log: finds the chunk holding its start offset once (an index search), then reads
// chunk after chunk forwards, crossing into the next segment at the end of one. It holds one segment file
// open and one chunk in memory at a time. A reader overtaken by retention (its next segment deleted)
// moves on to the oldest message kept, as a RabbitMQ stream consumer does.
import { closeSync, openSync } from 'node:fs'
import type { StreamChunk, StreamReader } from '../../core/ports.js'
import { decodeChunk, readChunkHeader } from './chunk-codec.js'
import { readAt } from './file-io.js'
import type { Segment } from './segments.js'
import type { FileStreamLog } from './stream-log.js'

/** Read in one go with a chunk's header: most chunks then need no second read. */
const READ_AHEAD = 64 * 1024

interface Cursor {
  segment: Segment
  fd: number
  position: number
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
      const head = await readAt(at.fd, at.position, READ_AHEAD)
      const info = readChunkHeader(head, 0, at.position)
      if (!info) throw new Error(`stream ${this.log.dir}: no chunk at ${at.segment.base}:${at.position}`)
      const buf = info.size <= head.length ? head : await readAt(at.fd, at.position, info.size)
      at.position += info.size
      const end = info.firstOffset + info.count
      if (end <= this.nextOffset) continue
      const skip = Math.max(0, this.nextOffset - info.firstOffset)
      const messages = decodeChunk(buf, 0, info, skip)
      this.nextOffset = end
      return { firstOffset: info.firstOffset + skip, timestamp: info.timestamp, messages }
    }
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
