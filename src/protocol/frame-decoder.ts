// Streaming frame splitter. Socket chunks arrive cut anywhere; complete frames are handed out as
// offsets into the chunk (no copy, and no view object per frame: creating a Buffer view per frame cost
// about 6 % of the publish path), and only a frame that straddles chunks is assembled, once, when all
// of its bytes are there. A frame larger than the negotiated frame_max is a FRAME_ERROR before its
// payload is buffered, so a lying size field cannot make the broker allocate.
import { FrameError } from '../shared/index.js'
import { describeFrame } from './erlang-format.js'
import { FRAME } from './generated/constants.js'

export interface FrameHandler {
  /**
   * Called once per complete frame; its payload is `buf[start, end)`. The bytes are only valid during the
   * call unless copied.
   */
  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void
}

const HEADER_SIZE = 7

export class FrameDecoder {
  /** Chunks of an incomplete frame, and how many bytes they hold. */
  private parts: Buffer[] = []
  private partBytes = 0
  /** Total size of the incomplete frame, or 0 while its header is not yet complete. */
  private needed = 0
  /** While paused, input is kept unparsed (a handler is waiting for something asynchronous). */
  private paused = false
  private held: Buffer[] = []

  constructor(
    private readonly handler: FrameHandler,
    /** The negotiated frame_max: the largest payload accepted. */
    public maxFrameSize: number,
  ) {}

  push(chunk: Buffer): void {
    if (this.paused) {
      this.held.push(chunk)
      return
    }
    let buf = chunk
    if (this.partBytes > 0) {
      const rest = this.completePending(chunk)
      if (!rest) return
      buf = rest
    }
    this.parse(buf)
  }

  /**
   * Adds a chunk to the pending frame. Once the frame is complete it is handed out, and what followed it
   * in the chunk is returned (or held, if the handler paused). Only the frame's own bytes are copied, not
   * the rest of the chunk, which under pipelining is most of every chunk.
   */
  private completePending(chunk: Buffer): Buffer | undefined {
    const before = this.partBytes
    this.parts.push(chunk)
    this.partBytes += chunk.length
    if (this.needed === 0) {
      if (this.partBytes < HEADER_SIZE) return undefined
      this.needed = this.frameSize(Buffer.concat(this.parts, HEADER_SIZE), 0)
    }
    if (this.partBytes < this.needed) return undefined
    const needed = this.needed
    const frame = Buffer.concat(this.parts, needed)
    this.parts = []
    this.partBytes = 0
    this.needed = 0
    this.parse(frame)
    // The pending bytes were fewer than a frame, so the frame ends inside this chunk.
    const rest = chunk.subarray(needed - before)
    if (!this.paused) return rest
    if (rest.length > 0) this.held.unshift(rest)
    return undefined
  }

  /** Stops handing out frames after the current one; later input is held until resume(). */
  pause(): void {
    this.paused = true
  }

  /** Parses the held input (which may pause again). */
  resume(): void {
    if (!this.paused) return
    this.paused = false
    const held = this.held
    this.held = []
    for (let i = 0; i < held.length; i++) {
      if (this.paused) {
        this.held.push(...held.slice(i))
        return
      }
      this.push(held[i] as Buffer)
    }
  }

  /**
   * Total size of the frame starting at `at`. Like RabbitMQ, a payload may be as large as frame_max (it
   * lets the 8 octets of framing come on top), and the error names the limit as frame_max - 8.
   */
  private frameSize(buf: Buffer, at: number): number {
    const payload =
      (buf[at + 3] as number) * 0x1000000 +
      (((buf[at + 4] as number) << 16) | ((buf[at + 5] as number) << 8) | (buf[at + 6] as number))
    if (payload > this.maxFrameSize) {
      const limit = this.maxFrameSize - 8
      throw new FrameError(`type ${buf[at]}, all octets = <<>>: {frame_too_large,${payload},${limit}}`)
    }
    return payload + HEADER_SIZE + 1
  }

  private parse(buf: Buffer): void {
    let at = 0
    const len = buf.length
    while (len - at >= HEADER_SIZE) {
      const size = this.frameSize(buf, at)
      if (len - at < size) break
      const end = at + size - 1
      if (buf[end] !== FRAME.END) {
        const frame = describeFrame(buf[at] as number, buf.subarray(at + HEADER_SIZE, end))
        throw new FrameError(`${frame}: {invalid_frame_end_marker,${buf[end]}}`)
      }
      const channel = ((buf[at + 1] as number) << 8) | (buf[at + 2] as number)
      this.handler.onFrame(buf[at] as number, channel, buf, at + HEADER_SIZE, end)
      at += size
      if (this.paused) {
        if (at < len) this.held.unshift(buf.subarray(at))
        return
      }
    }
    if (at < len) {
      const rest = buf.subarray(at)
      this.parts = [rest]
      this.partBytes = rest.length
      this.needed = rest.length >= HEADER_SIZE ? this.frameSize(rest, 0) : 0
    }
  }
}
