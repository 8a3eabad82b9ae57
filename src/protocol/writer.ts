// Frame writer. Frames are written into a large slab; a flush hands the written region to the socket
// and continues after it, so the slab is reused without copying and without overwriting bytes the
// socket still holds. Large bodies are queued by reference rather than copied into the slab.
import { AmqpSyntaxError } from '../shared/index.js'
import { Decimal, type FieldTable, type FieldValue, Timestamp, TypedValue } from '../shared/index.js'

const SLAB_SIZE = 256 * 1024
/** Bodies at least this large are sent by reference (writev) instead of copied into the slab. */
const BY_REFERENCE_THRESHOLD = 16 * 1024
const TWO_32 = 2 ** 32
const FRAME_END = 0xce

export class Writer {
  buf: Buffer
  pos = 0
  /** Start of the region not yet handed out by take(). */
  private start = 0
  private chunks: Buffer[] = []
  private pendingBytes = 0
  private bitPos = -1
  private bitCount = 0
  /**
   * Frames and tables patch their length in after writing, so an open frame must stay contiguous. While
   * one is open (openAt >= 0) a full slab moves the open part to a new slab. Positions handed to callers
   * are logical (physical + offset) so that they stay valid across such a move.
   */
  private openAt = -1
  private offset = 0
  /** Logical position of a table opened outside any frame (it holds openAt until endSized), or -1. */
  private sizedAt = -1

  constructor(private readonly slabSize = SLAB_SIZE) {
    this.buf = Buffer.allocUnsafe(slabSize)
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.pendingBytes + (this.pos - this.start)
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    if (this.openAt < 0) {
      this.sealRegion()
      this.buf = Buffer.allocUnsafe(Math.max(this.slabSize, n))
      this.pos = 0
      this.start = 0
      return
    }
    // Move the open frame to a fresh slab large enough for it and what comes next.
    const open = this.openAt
    const used = this.pos - open
    const prevPos = this.pos
    this.pos = open
    this.sealRegion()
    const next = Buffer.allocUnsafe(Math.max(this.slabSize, 2 * (used + n)))
    this.buf.copy(next, 0, open, prevPos)
    this.buf = next
    this.offset += open
    if (this.bitPos >= 0) this.bitPos -= open
    this.openAt = 0
    this.start = 0
    this.pos = used
  }

  private sealRegion(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos))
      this.pendingBytes += this.pos - this.start
      this.start = this.pos
    }
  }

  /** Hands out everything written so far, as one or more buffers for the socket. */
  take(): Buffer[] {
    this.sealRegion()
    const out = this.chunks
    this.chunks = []
    this.pendingBytes = 0
    if (this.buf.length - this.pos < 4096) {
      this.buf = Buffer.allocUnsafe(this.slabSize)
      this.pos = 0
      this.start = 0
    }
    return out
  }

  /** Appends a buffer, by reference when it is large. The caller must not mutate it afterwards. */
  bytes(b: Buffer): void {
    // Only between frames: inside an open frame the length patched in by endFrame must cover these bytes.
    if (b.length >= BY_REFERENCE_THRESHOLD && this.openAt < 0) {
      this.sealRegion()
      this.chunks.push(b)
      this.pendingBytes += b.length
      return
    }
    this.ensure(b.length)
    b.copy(this.buf, this.pos)
    this.pos += b.length
  }

  octet(v: number): void {
    this.ensure(1)
    this.bitPos = -1
    this.buf[this.pos++] = v
  }

  short(v: number): void {
    this.ensure(2)
    this.bitPos = -1
    this.buf.writeUInt16BE(v, this.pos)
    this.pos += 2
  }

  long(v: number): void {
    this.ensure(4)
    this.bitPos = -1
    this.buf.writeUInt32BE(v >>> 0, this.pos)
    this.pos += 4
  }

  longlong(v: number): void {
    this.ensure(8)
    this.bitPos = -1
    this.buf.writeUInt32BE(Math.floor(v / TWO_32) >>> 0, this.pos)
    this.buf.writeUInt32BE(v >>> 0, this.pos + 4)
    this.pos += 8
  }

  bit(v: boolean): void {
    if (this.bitPos < 0 || this.bitCount === 8) {
      this.ensure(1)
      this.bitPos = this.pos
      this.bitCount = 0
      this.buf[this.pos++] = 0
    }
    if (v) this.buf[this.bitPos] = (this.buf[this.bitPos] as number) | (1 << this.bitCount)
    this.bitCount++
  }

  shortstr(s: string): void {
    // Names, keys and tags are short ASCII in practice: copying their char codes beats a native UTF-8
    // encode, and this runs several times per delivery.
    const n = s.length
    if (n <= 64) {
      this.ensure(1 + n)
      const b = this.buf
      const at = this.pos + 1
      let i = 0
      for (; i < n; i++) {
        const c = s.charCodeAt(i)
        if (c > 0x7f) break
        b[at + i] = c
      }
      if (i === n) {
        this.bitPos = -1
        b[this.pos] = n
        this.pos += 1 + n
        return
      }
    }
    const len = Buffer.byteLength(s)
    if (len > 255) throw new AmqpSyntaxError(`short string too long (${len} bytes)`)
    this.ensure(1 + len)
    this.bitPos = -1
    this.buf[this.pos] = len
    this.buf.write(s, this.pos + 1, len, 'utf8')
    this.pos += 1 + len
  }

  longstr(s: string | Buffer): void {
    if (typeof s === 'string') {
      const len = Buffer.byteLength(s)
      this.long(len)
      this.ensure(len)
      this.buf.write(s, this.pos, len, 'utf8')
      this.pos += len
    } else {
      this.long(s.length)
      this.ensure(s.length)
      s.copy(this.buf, this.pos)
      this.pos += s.length
    }
  }

  timestamp(v: number): void {
    this.longlong(v)
  }

  /** Reserves a 32-bit length, to be filled by endSized(). Returns the position of the length. */
  beginSized(): number {
    this.ensure(4)
    this.bitPos = -1
    const at = this.pos + this.offset
    // Outside a frame (properties encoded on their own), the table must stay contiguous like a frame.
    if (this.openAt < 0) {
      this.openAt = this.pos
      this.sizedAt = at
    }
    this.pos += 4
    return at
  }

  endSized(at: number): void {
    const phys = at - this.offset
    this.buf.writeUInt32BE(this.pos - phys - 4, phys)
    if (at === this.sizedAt) {
      this.openAt = -1
      this.sizedAt = -1
    }
  }

  table(t: FieldTable | undefined): void {
    const at = this.beginSized()
    if (t) for (const key of Object.keys(t)) this.tableEntry(key, t[key] as FieldValue)
    this.endSized(at)
  }

  private tableEntry(key: string, v: FieldValue): void {
    this.shortstr(key)
    this.fieldValue(v)
  }

  fieldValue(v: FieldValue): void {
    this.ensure(9)
    const b = this.buf
    if (typeof v === 'string') {
      b[this.pos++] = 0x53
      this.longstr(v)
    } else if (typeof v === 'boolean') {
      b[this.pos++] = 0x74
      b[this.pos++] = v ? 1 : 0
    } else if (typeof v === 'number') {
      this.plainNumber(v)
    } else if (typeof v === 'bigint') {
      b[this.pos++] = 0x6c
      b.writeBigInt64BE(v, this.pos)
      this.pos += 8
    } else if (v === null) {
      b[this.pos++] = 0x56
    } else if (Buffer.isBuffer(v)) {
      b[this.pos++] = 0x78
      this.longstr(v)
    } else if (v instanceof TypedValue) {
      this.typedValue(v)
    } else if (v instanceof Decimal) {
      b[this.pos++] = 0x44
      b[this.pos++] = v.scale
      b.writeInt32BE(v.value, this.pos)
      this.pos += 4
    } else if (v instanceof Timestamp) {
      b[this.pos++] = 0x54
      this.longlong(v.seconds)
    } else if (Array.isArray(v)) {
      b[this.pos++] = 0x41
      const at = this.beginSized()
      for (const item of v) this.fieldValue(item)
      this.endSized(at)
    } else {
      b[this.pos++] = 0x46
      this.table(v)
    }
  }

  private plainNumber(v: number): void {
    const b = this.buf
    if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) {
      b[this.pos++] = 0x49
      b.writeInt32BE(v, this.pos)
      this.pos += 4
    } else if (Number.isSafeInteger(v)) {
      b[this.pos++] = 0x6c
      b.writeBigInt64BE(BigInt(v), this.pos)
      this.pos += 8
    } else {
      b[this.pos++] = 0x64
      b.writeDoubleBE(v, this.pos)
      this.pos += 8
    }
  }

  private typedValue(v: TypedValue): void {
    const b = this.buf
    const n = Number(v.value)
    b[this.pos++] = v.type.charCodeAt(0)
    switch (v.type) {
      case 'b':
        b.writeInt8(n, this.pos++)
        return
      case 'B':
        b.writeUInt8(n, this.pos++)
        return
      case 's':
        b.writeInt16BE(n, this.pos)
        this.pos += 2
        return
      case 'u':
        b.writeUInt16BE(n, this.pos)
        this.pos += 2
        return
      case 'i':
        b.writeUInt32BE(n, this.pos)
        this.pos += 4
        return
      case 'l':
        b.writeBigInt64BE(BigInt(v.value), this.pos)
        this.pos += 8
        return
      case 'f':
        b.writeFloatBE(n, this.pos)
        this.pos += 4
        return
      case 'd':
        b.writeDoubleBE(n, this.pos)
        this.pos += 8
        return
    }
  }

  // ---- frames ----

  /** Starts a frame; returns the position to pass to endFrame(). */
  beginFrame(type: number, channel: number): number {
    this.ensure(8)
    const at = this.pos
    this.openAt = at
    this.buf[at] = type
    this.buf.writeUInt16BE(channel, at + 1)
    this.pos += 7
    this.bitPos = -1
    return at + this.offset
  }

  endFrame(at: number): void {
    this.ensure(1)
    const phys = at - this.offset
    this.buf.writeUInt32BE(this.pos - phys - 7, phys + 3)
    this.buf[this.pos++] = FRAME_END
    this.openAt = -1
  }

  /** Drops a frame that failed to encode, so that no partial frame ever reaches the socket. */
  abortFrame(at: number): void {
    this.pos = at - this.offset
    this.openAt = -1
    this.sizedAt = -1
    this.bitPos = -1
  }
}
