// The AMQP 1.0 type system, as far as messages need it: a decoder of any encoded value and an encoder of
// the types Warren writes. Stream-protocol messages are AMQP 1.0 messages (sections of described
// values); see message-mapping.ts for how they map to Warren's messages. Malformed input throws
// MalformedFrameError.
import { MalformedFrameError } from './frame-reader.js'

export class Symbol10 {
  constructor(readonly name: string) {}
}
/** A 1.0 timestamp: ms since the epoch. */
export class Timestamp10 {
  constructor(readonly ms: number) {}
}
/** An integer type other than int/uint (which decode to plain numbers), kept with its width. */
export class Long10 {
  constructor(
    readonly value: number,
    readonly unsigned: boolean,
  ) {}
}
export class Described10 {
  constructor(
    readonly descriptor: Value10,
    readonly value: Value10,
  ) {}
}
export type Value10 =
  | null
  | boolean
  | number
  | string
  | Buffer
  | Symbol10
  | Timestamp10
  | Long10
  | Described10
  | Value10[]
  | Map<Value10, Value10>

/** Reads AMQP 1.0 encoded values from a buffer. */
export class Amqp10Reader {
  constructor(
    private readonly buf: Buffer,
    public at = 0,
  ) {}

  get done(): boolean {
    return this.at >= this.buf.length
  }

  private take(n: number): number {
    const at = this.at
    if (at + n > this.buf.length) throw new MalformedFrameError('AMQP 1.0 value runs past its message')
    this.at = at + n
    return at
  }

  private u8(): number {
    return this.buf.readUInt8(this.take(1))
  }
  private u32(): number {
    return this.buf.readUInt32BE(this.take(4))
  }
  private slice(n: number): Buffer {
    const at = this.take(n)
    return this.buf.subarray(at, at + n)
  }

  value(): Value10 {
    const code = this.u8()
    if (code === 0x00) return new Described10(this.value(), this.value())
    return this.valueOf(code)
  }

  private valueOf(code: number): Value10 {
    const b = this.buf
    switch (code) {
      case 0x40:
        return null
      case 0x41:
        return true
      case 0x42:
        return false
      case 0x56:
        return this.u8() !== 0
      case 0x50:
      case 0x52:
        return this.u8()
      case 0x51:
      case 0x54:
        return b.readInt8(this.take(1))
      case 0x60:
        return b.readUInt16BE(this.take(2))
      case 0x61:
        return b.readInt16BE(this.take(2))
      case 0x70:
        return this.u32()
      case 0x71:
        return b.readInt32BE(this.take(4))
      case 0x43:
        return 0
      case 0x44:
        return new Long10(0, true)
      case 0x53:
        return new Long10(this.u8(), true)
      case 0x55:
        return new Long10(b.readInt8(this.take(1)), false)
      case 0x80:
        return new Long10(Number(b.readBigUInt64BE(this.take(8))), true)
      case 0x81:
        return new Long10(Number(b.readBigInt64BE(this.take(8))), false)
      case 0x72:
        return b.readFloatBE(this.take(4))
      case 0x82:
        return b.readDoubleBE(this.take(8))
      case 0x83:
        return new Timestamp10(Number(b.readBigInt64BE(this.take(8))))
      case 0x73:
        return String.fromCodePoint(this.u32())
      case 0x74:
        return this.slice(4)
      case 0x84:
        return this.slice(8)
      case 0x94:
      case 0x98:
        return this.slice(16)
      default:
        return this.variable(code)
    }
  }

  private variable(code: number): Value10 {
    switch (code) {
      case 0xa0:
        return Buffer.from(this.slice(this.u8()))
      case 0xb0:
        return Buffer.from(this.slice(this.u32()))
      case 0xa1:
        return this.slice(this.u8()).toString('utf8')
      case 0xb1:
        return this.slice(this.u32()).toString('utf8')
      case 0xa3:
        return new Symbol10(this.slice(this.u8()).toString('latin1'))
      case 0xb3:
        return new Symbol10(this.slice(this.u32()).toString('latin1'))
      case 0x45:
        return []
      case 0xc0:
        return this.list(this.u8(), this.u8())
      case 0xd0:
        return this.list(this.u32(), this.u32())
      case 0xc1:
        return this.map(this.u8(), this.u8())
      case 0xd1:
        return this.map(this.u32(), this.u32())
      case 0xe0:
        return this.array(this.u8(), this.u8())
      case 0xf0:
        return this.array(this.u32(), this.u32())
      default:
        throw new MalformedFrameError(`unknown AMQP 1.0 type code 0x${code.toString(16)}`)
    }
  }

  private checkCount(count: number): void {
    // Every element takes at least a byte: a count larger than what is left is a lie.
    if (count > this.buf.length - this.at) throw new MalformedFrameError('AMQP 1.0 compound count too large')
  }

  private list(_size: number, count: number): Value10[] {
    this.checkCount(count)
    const out: Value10[] = []
    for (let i = 0; i < count; i++) out.push(this.value())
    return out
  }

  private map(_size: number, count: number): Map<Value10, Value10> {
    this.checkCount(count)
    const out = new Map<Value10, Value10>()
    for (let i = 0; i + 1 < count; i += 2) {
      const k = this.value()
      out.set(k instanceof Symbol10 ? k.name : k, this.value())
    }
    return out
  }

  private array(_size: number, count: number): Value10[] {
    this.checkCount(count)
    let code = this.u8()
    if (code === 0x00) {
      this.value() // the descriptor of every element, dropped
      code = this.u8()
    }
    const out: Value10[] = []
    for (let i = 0; i < count; i++) out.push(this.valueOf(code))
    return out
  }
}

/** Writes AMQP 1.0 values: the encodings the smallest for each value, as AMQP 1.0 prefers. */
export class Amqp10Writer {
  private readonly parts: Buffer[] = []

  private push(b: Buffer): this {
    this.parts.push(b)
    return this
  }

  byte(code: number): this {
    return this.push(Buffer.of(code))
  }

  null(): this {
    return this.byte(0x40)
  }
  boolean(v: boolean): this {
    return this.byte(v ? 0x41 : 0x42)
  }
  ubyte(v: number): this {
    return this.push(Buffer.of(0x50, v & 0xff))
  }
  uint(v: number): this {
    if (v === 0) return this.byte(0x43)
    if (v < 256) return this.push(Buffer.of(0x52, v))
    const b = Buffer.allocUnsafe(5)
    b[0] = 0x70
    b.writeUInt32BE(v >>> 0, 1)
    return this.push(b)
  }
  int(v: number): this {
    const b = Buffer.allocUnsafe(5)
    b[0] = 0x71
    b.writeInt32BE(v, 1)
    return this.push(b)
  }
  long(v: number): this {
    const b = Buffer.allocUnsafe(9)
    b[0] = 0x81
    b.writeBigInt64BE(BigInt(Math.trunc(v)), 1)
    return this.push(b)
  }
  double(v: number): this {
    const b = Buffer.allocUnsafe(9)
    b[0] = 0x82
    b.writeDoubleBE(v, 1)
    return this.push(b)
  }
  timestamp(ms: number): this {
    const b = Buffer.allocUnsafe(9)
    b[0] = 0x83
    b.writeBigInt64BE(BigInt(Math.trunc(ms)), 1)
    return this.push(b)
  }
  private sized(small: number, large: number, data: Buffer): this {
    if (data.length < 256) this.push(Buffer.of(small, data.length))
    else {
      const h = Buffer.allocUnsafe(5)
      h[0] = large
      h.writeUInt32BE(data.length, 1)
      this.push(h)
    }
    return this.push(data)
  }
  string(s: string): this {
    return this.sized(0xa1, 0xb1, Buffer.from(s, 'utf8'))
  }
  symbol(s: string): this {
    return this.sized(0xa3, 0xb3, Buffer.from(s, 'latin1'))
  }
  binary(b: Buffer): this {
    return this.sized(0xa0, 0xb0, b)
  }
  /** A descriptor as a small ulong: 0x00 0x53 code (the form every client reads). */
  descriptor(code: number): this {
    return this.push(Buffer.of(0x00, 0x53, code))
  }
  /** A list32 or map32 of already-encoded elements. */
  compound(code: 0xd0 | 0xd1, count: number, body: Buffer): this {
    const h = Buffer.allocUnsafe(9)
    h[0] = code
    h.writeUInt32BE(body.length + 4, 1)
    h.writeUInt32BE(count, 5)
    return this.push(h).push(body)
  }

  get length(): number {
    let n = 0
    for (const p of this.parts) n += p.length
    return n
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts)
  }
}
