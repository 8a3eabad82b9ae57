// Builds Stream-protocol frames: a uint32 size, then key, version and the fields. One growing buffer per
// frame; frame() returns it sized to what was written.

export class FrameWriter {
  private buf: Buffer
  private at = 4

  constructor(key: number, version = 1, sizeHint = 64) {
    this.buf = Buffer.allocUnsafe(Math.max(sizeHint, 16))
    this.u16(key).u16(version)
  }

  /** Makes room for n bytes and returns where they go (call it before reading this.buf: it may grow). */
  private room(n: number): number {
    if (this.at + n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n))
      this.buf.copy(bigger, 0, 0, this.at)
      this.buf = bigger
    }
    const at = this.at
    this.at += n
    return at
  }

  u8(v: number): this {
    const at = this.room(1)
    this.buf.writeUInt8(v, at)
    return this
  }
  u16(v: number): this {
    const at = this.room(2)
    this.buf.writeUInt16BE(v, at)
    return this
  }
  i16(v: number): this {
    const at = this.room(2)
    this.buf.writeInt16BE(v, at)
    return this
  }
  u32(v: number): this {
    const at = this.room(4)
    this.buf.writeUInt32BE(v >>> 0, at)
    return this
  }
  i32(v: number): this {
    const at = this.room(4)
    this.buf.writeInt32BE(v, at)
    return this
  }
  u64(v: number): this {
    const at = this.room(8)
    this.buf.writeBigUInt64BE(BigInt(v), at)
    return this
  }
  i64(v: number): this {
    const at = this.room(8)
    this.buf.writeBigInt64BE(BigInt(v), at)
    return this
  }

  string(s: string): this {
    const n = Buffer.byteLength(s)
    this.i16(n)
    const at = this.room(n)
    this.buf.write(s, at, n, 'utf8')
    return this
  }

  bytes(b: Buffer): this {
    this.i32(b.length)
    const at = this.room(b.length)
    b.copy(this.buf, at)
    return this
  }

  raw(b: Buffer): this {
    const at = this.room(b.length)
    b.copy(this.buf, at)
    return this
  }

  strings(list: readonly string[]): this {
    this.i32(list.length)
    for (const s of list) this.string(s)
    return this
  }

  map(entries: Iterable<readonly [string, string]>): this {
    const list = [...entries]
    this.i32(list.length)
    for (const [k, v] of list) this.string(k).string(v)
    return this
  }

  frame(): Buffer {
    this.buf.writeUInt32BE(this.at - 4, 0)
    return this.buf.subarray(0, this.at)
  }
}

/** The start of a response: key | 0x8000, version, correlation id, response code. */
export function response(key: number, correlationId: number, code: number, sizeHint?: number): FrameWriter {
  return new FrameWriter(key | 0x8000, 1, sizeHint).u32(correlationId).u16(code)
}
