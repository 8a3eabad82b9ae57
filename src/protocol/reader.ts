// Cursor over a frame payload. Bounds are checked on every read so that a truncated or lying frame
// raises a SYNTAX_ERROR instead of reading past the payload into the next frame.
import { AmqpSyntaxError } from '../shared/index.js'
import { MAX_CACHED_LENGTH, ShortStringCache } from './short-string-cache.js'
import { Decimal, type FieldTable, type FieldValue, Timestamp, TypedValue } from '../shared/index.js'

const TWO_32 = 2 ** 32
/** Field tables nested deeper than this are refused: recursion depth is attacker controlled. */
const MAX_TABLE_DEPTH = 64

export class Reader {
  /**
   * `shortStrings` remembers decoded short strings by their bytes (see short-string-cache.ts): a reader
   * of every publish has one; a reader of the odd stored message does without.
   */
  constructor(private readonly shortStrings?: ShortStringCache) {}

  buf: Buffer = Buffer.alloc(0)
  pos = 0
  end = 0
  private bitByte = 0
  private bitIndex = 8

  reset(buf: Buffer, pos: number, end: number): this {
    this.buf = buf
    this.pos = pos
    this.end = end
    this.bitIndex = 8
    return this
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new AmqpSyntaxError('frame payload too short for its fields')
  }

  octet(): number {
    this.need(1)
    this.bitIndex = 8
    return this.buf[this.pos++] as number
  }

  short(): number {
    this.need(2)
    this.bitIndex = 8
    const v = this.buf.readUInt16BE(this.pos)
    this.pos += 2
    return v
  }

  long(): number {
    this.need(4)
    this.bitIndex = 8
    const v = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }

  /** Unsigned 64-bit as a number: delivery tags and message counts never approach 2^53. */
  longlong(): number {
    this.need(8)
    this.bitIndex = 8
    const v = this.buf.readUInt32BE(this.pos) * TWO_32 + this.buf.readUInt32BE(this.pos + 4)
    this.pos += 8
    return v
  }

  bit(): boolean {
    if (this.bitIndex === 8) {
      this.need(1)
      this.bitByte = this.buf[this.pos++] as number
      this.bitIndex = 0
    }
    return (this.bitByte & (1 << this.bitIndex++)) !== 0
  }

  shortstr(): string {
    const len = this.octet()
    if (len === 0) return ''
    this.need(len)
    const cache = len <= MAX_CACHED_LENGTH ? this.shortStrings : undefined
    if (cache) {
      const known = cache.get(this.buf, this.pos, len)
      if (known !== undefined) {
        this.pos += len
        return known
      }
    }
    const s = this.buf.toString('utf8', this.pos, this.pos + len)
    // Names and keys must survive a round trip: bytes that are not UTF-8 would come back altered (and
    // possibly longer than 255 bytes), so they are refused rather than silently changed.
    if (s.includes('\ufffd') && !Buffer.from(s).equals(this.buf.subarray(this.pos, this.pos + len))) {
      throw new AmqpSyntaxError('short string is not valid UTF-8')
    }
    cache?.put(this.buf, this.pos, len, s)
    this.pos += len
    return s
  }

  longstrBytes(): Buffer {
    const len = this.long()
    this.need(len)
    const b = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    return b
  }

  longstr(): string {
    const len = this.long()
    this.need(len)
    const s = this.buf.toString('utf8', this.pos, this.pos + len)
    this.pos += len
    return s
  }

  timestamp(): number {
    return this.longlong()
  }

  table(depth = 0): FieldTable {
    if (depth > MAX_TABLE_DEPTH) throw new AmqpSyntaxError('field table nested too deeply')
    const len = this.long()
    this.need(len)
    const end = this.pos + len
    const table: FieldTable = {}
    const outerEnd = this.end
    this.end = end
    try {
      while (this.pos < end) {
        const key = this.shortstr()
        const value = this.fieldValue(depth)
        // defineProperty-free assignment is safe: __proto__ is the only key that would misbehave.
        if (key === '__proto__')
          Object.defineProperty(table, key, { value, enumerable: true, writable: true })
        else table[key] = value
      }
    } finally {
      this.end = outerEnd
    }
    this.bitIndex = 8
    return table
  }

  private array(depth: number): FieldValue[] {
    if (depth > MAX_TABLE_DEPTH) throw new AmqpSyntaxError('field array nested too deeply')
    const len = this.long()
    this.need(len)
    const end = this.pos + len
    const out: FieldValue[] = []
    const outerEnd = this.end
    this.end = end
    try {
      while (this.pos < end) out.push(this.fieldValue(depth))
    } finally {
      this.end = outerEnd
    }
    return out
  }

  fieldValue(depth: number): FieldValue {
    const letter = this.octet()
    const b = this.buf
    switch (letter) {
      case 0x74 /* t */:
        return this.octet() !== 0
      case 0x62 /* b */:
        this.need(1)
        return new TypedValue('b', b.readInt8(this.pos++))
      case 0x42 /* B */:
        return new TypedValue('B', this.octet())
      case 0x73 /* s */:
        this.need(2)
        this.pos += 2
        return new TypedValue('s', b.readInt16BE(this.pos - 2))
      case 0x75 /* u */:
        return new TypedValue('u', this.short())
      case 0x49 /* I */:
        this.need(4)
        this.pos += 4
        return b.readInt32BE(this.pos - 4)
      case 0x69 /* i */:
        return new TypedValue('i', this.long())
      case 0x6c /* l */: {
        this.need(8)
        const v = b.readBigInt64BE(this.pos)
        this.pos += 8
        return new TypedValue(
          'l',
          v >= Number.MIN_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER ? Number(v) : v,
        )
      }
      case 0x66 /* f */:
        this.need(4)
        this.pos += 4
        return new TypedValue('f', b.readFloatBE(this.pos - 4))
      case 0x64 /* d */:
        this.need(8)
        this.pos += 8
        return doubleValue(b.readDoubleBE(this.pos - 8))
      case 0x44 /* D */: {
        const scale = this.octet()
        this.need(4)
        this.pos += 4
        return new Decimal(scale, b.readInt32BE(this.pos - 4))
      }
      case 0x53 /* S */:
        return this.longstr()
      case 0x54 /* T */:
        return new Timestamp(this.longlong())
      case 0x46 /* F */:
        return this.table(depth + 1)
      case 0x41 /* A */:
        return this.array(depth + 1)
      case 0x56 /* V */:
        return null
      case 0x78 /* x */:
        return Buffer.from(this.longstrBytes())
      default:
        throw new AmqpSyntaxError(
          `unknown field type '${String.fromCharCode(letter)}' (0x${letter.toString(16)})`,
        )
    }
  }
}

/** A double that is integral would re-encode as an integer, so it keeps its letter explicitly. */
function doubleValue(v: number): FieldValue {
  return Number.isInteger(v) ? new TypedValue('d', v) : v
}
