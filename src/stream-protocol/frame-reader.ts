// Reads the fields of one Stream-protocol frame. Every read is bounds-checked: a frame that ends early
// or whose lengths point past its end throws MalformedFrameError, which closes only that connection.

export class MalformedFrameError extends Error {}

export class FrameReader {
  private at = 0

  constructor(private readonly buf: Buffer) {}

  private take(n: number): number {
    const at = this.at
    if (n < 0 || at + n > this.buf.length) {
      throw new MalformedFrameError(`frame too short: needs ${at + n} bytes, has ${this.buf.length}`)
    }
    this.at = at + n
    return at
  }

  /** The frame and where the next field starts, for readers that walk it themselves. */
  get frame(): Buffer {
    return this.buf
  }
  get position(): number {
    return this.at
  }

  get remaining(): number {
    return this.buf.length - this.at
  }

  peekU8(): number {
    const at = this.take(1)
    this.at = at
    return this.buf.readUInt8(at)
  }

  /** n bytes, a view. */
  raw(n: number): Buffer {
    const at = this.take(n)
    return this.buf.subarray(at, at + n)
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1))
  }
  u16(): number {
    return this.buf.readUInt16BE(this.take(2))
  }
  i16(): number {
    return this.buf.readInt16BE(this.take(2))
  }
  u32(): number {
    return this.buf.readUInt32BE(this.take(4))
  }
  i32(): number {
    return this.buf.readInt32BE(this.take(4))
  }
  /** A uint64 as a number; offsets and publishing ids stay far below 2^53 in practice. */
  u64(): number {
    return Number(this.buf.readBigUInt64BE(this.take(8)))
  }
  i64(): number {
    return Number(this.buf.readBigInt64BE(this.take(8)))
  }

  /** int16 length then UTF-8 bytes; -1 is null (read as ''). */
  string(): string {
    const n = this.i16()
    if (n < 0) return ''
    const at = this.take(n)
    return this.buf.toString('utf8', at, at + n)
  }

  /** A string that may be null (-1 length). */
  optionalString(): string | undefined {
    const n = this.i16()
    if (n < 0) return undefined
    const at = this.take(n)
    return this.buf.toString('utf8', at, at + n)
  }

  /** int32 length then bytes; -1 is null (read as empty). A view, not a copy. */
  bytes(): Buffer {
    const n = this.i32()
    if (n < 0) return Buffer.alloc(0)
    const at = this.take(n)
    return this.buf.subarray(at, at + n)
  }

  /** An int32 count checked against what is left (each element at least `minSize` bytes). */
  count(minSize: number): number {
    const n = this.i32()
    if (n < 0 || n * minSize > this.remaining) throw new MalformedFrameError(`invalid array length ${n}`)
    return n
  }

  strings(): string[] {
    const n = this.count(2)
    const out: string[] = []
    for (let i = 0; i < n; i++) out.push(this.string())
    return out
  }

  /** A [Key Value] array of strings. */
  map(): Map<string, string> {
    const n = this.count(4)
    const out = new Map<string, string>()
    for (let i = 0; i < n; i++) out.set(this.string(), this.string())
    return out
  }
}
