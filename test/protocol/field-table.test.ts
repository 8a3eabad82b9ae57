// Field tables against RabbitMQ's errata type letters (t b B s u I i l f d D S T F A V x): each letter is
// read and written back as the very bytes it came in, nested tables and arrays included.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { Reader, Writer } from '../../src/protocol/index.js'
import {
  Decimal,
  FIELD_TYPES,
  type FieldTable,
  type FieldValue,
  Timestamp,
  TypedValue,
} from '../../src/shared/index.js'
import { fieldValueArb, tableArb, tableOf } from './arbitraries.js'
import { bytes, decodeTable, encodeTable, lstr, sstr, u32 } from './helpers.js'

const f32 = (v: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeFloatBE(v)
  return b
}
const f64 = (v: number): Buffer => {
  const b = Buffer.alloc(8)
  b.writeDoubleBE(v)
  return b
}
const i64 = (v: bigint): Buffer => {
  const b = Buffer.alloc(8)
  b.writeBigInt64BE(v)
  return b
}

/** [description, decoded value, the value's wire bytes (type letter included)]. */
const CASES: [string, FieldValue, Buffer][] = [
  ['t true', true, bytes('t', 1)],
  ['t false', false, bytes('t', 0)],
  ['b int8 -128', new TypedValue('b', -128), bytes('b', 0x80)],
  ['b int8 127', new TypedValue('b', 127), bytes('b', 0x7f)],
  ['B uint8 255', new TypedValue('B', 255), bytes('B', 0xff)],
  ['s int16 -32768', new TypedValue('s', -32768), bytes('s', 0x80, 0x00)],
  ['s int16 -1', new TypedValue('s', -1), bytes('s', 0xff, 0xff)],
  ['u uint16 65535', new TypedValue('u', 65535), bytes('u', 0xff, 0xff)],
  ['I int32 -2^31', -0x80000000, bytes('I', 0x80, 0, 0, 0)],
  ['I int32 2^31-1', 0x7fffffff, bytes('I', 0x7f, 0xff, 0xff, 0xff)],
  ['I int32 0', 0, bytes('I', 0, 0, 0, 0)],
  ['i uint32 2^32-1', new TypedValue('i', 0xffffffff), bytes('i', 0xff, 0xff, 0xff, 0xff)],
  ['i uint32 1', new TypedValue('i', 1), bytes('i', 0, 0, 0, 1)],
  ['l int64 small', new TypedValue('l', 5), bytes('l', i64(5n))],
  ['l int64 -1', new TypedValue('l', -1), bytes('l', i64(-1n))],
  ['l int64 max', new TypedValue('l', 2n ** 63n - 1n), bytes('l', i64(2n ** 63n - 1n))],
  ['l int64 min', new TypedValue('l', -(2n ** 63n)), bytes('l', i64(-(2n ** 63n)))],
  ['l int64 2^53', new TypedValue('l', 2n ** 53n), bytes('l', i64(2n ** 53n))],
  ['f float 1.5', new TypedValue('f', 1.5), bytes('f', f32(1.5))],
  ['f float integral', new TypedValue('f', 3), bytes('f', f32(3))],
  ['f float -Infinity', new TypedValue('f', -Infinity), bytes('f', f32(-Infinity))],
  ['d double 0.1', 0.1, bytes('d', f64(0.1))],
  ['d double integral', new TypedValue('d', 2), bytes('d', f64(2))],
  ['d double -0', new TypedValue('d', -0), bytes('d', f64(-0))],
  ['d double 1e300', new TypedValue('d', 1e300), bytes('d', f64(1e300))],
  ['d double Infinity', Infinity, bytes('d', f64(Infinity))],
  ['D decimal 3.14', new Decimal(2, 314), bytes('D', 2, 0, 0, 0x01, 0x3a)],
  ['D decimal negative', new Decimal(255, -1), bytes('D', 255, 0xff, 0xff, 0xff, 0xff)],
  ['S longstr', 'héllo', bytes('S', u32(6), Buffer.from('héllo'))],
  ['S empty', '', bytes('S', u32(0))],
  ['T timestamp', new Timestamp(1700000000), bytes('T', 0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00)],
  ['V void', null, bytes('V')],
  ['x bytes', Buffer.from([0, 0xff, 0xce]), bytes('x', u32(3), 0, 0xff, 0xce)],
  ['x empty', Buffer.alloc(0), bytes('x', u32(0))],
  ['F table', { a: 1 }, bytes('F', u32(7), sstr('a'), 'I', u32(1))],
  ['F empty table', {}, bytes('F', u32(0))],
  ['A array', [true, 'x', null], bytes('A', u32(2 + 6 + 1), 't', 1, 'S', lstr('x'), 'V')],
  ['A empty array', [], bytes('A', u32(0))],
  [
    'F nested three deep with arrays',
    { a: [{ b: [new TypedValue('u', 1), []] }], c: {} },
    bytes(
      'F',
      u32(34),
      sstr('a'),
      'A',
      u32(20),
      'F',
      u32(15),
      sstr('b'),
      'A',
      u32(8),
      'u',
      0,
      1,
      'A',
      u32(0),
      sstr('c'),
      'F',
      u32(0),
    ),
  ],
]

/** A one-entry table {k: value} as bytes. */
const tableBytes = (valueBytes: Buffer): Buffer => bytes(u32(2 + valueBytes.length), sstr('k'), valueBytes)

describe('field tables', () => {
  test('every errata type letter has a golden case', () => {
    const letters = new Set(CASES.map(([, , b]) => String.fromCharCode(b[0] as number)))
    assert.deepEqual([...letters].sort(), [...Object.values(FIELD_TYPES)].sort())
    assert.deepEqual([...Object.values(FIELD_TYPES)].sort(), [...'tbBsuIilfdDSTFAVx'].sort())
  })

  for (const [name, value, valueBytes] of CASES) {
    test(`${name}: decodes, encodes to the same bytes, and round-trips`, () => {
      const wire = tableBytes(valueBytes)
      const decoded = decodeTable(wire)
      assert.deepStrictEqual(decoded, { k: value })
      assert.equal(
        encodeTable(decoded).toString('hex'),
        wire.toString('hex'),
        'encode(decode(bytes)) === bytes',
      )
      assert.equal(encodeTable({ k: value }).toString('hex'), wire.toString('hex'), 'encode(value) === bytes')
    })
  }

  test('a table holding every letter at once, inside an array inside a table', () => {
    const wire = tableBytes(bytes('A', u32(0), ...CASES.map(([, , b]) => b)))
    wire.writeUInt32BE(wire.length - 4, 0)
    wire.writeUInt32BE(wire.length - 4 - 2 - 5, 2 + 4 + 1)
    const decoded = decodeTable(wire)
    assert.deepStrictEqual(decoded, { k: CASES.map(([, v]) => v) })
    assert.deepEqual(encodeTable(decoded), wire)
  })

  test('plain numbers pick the narrowest of I, l and d', () => {
    assert.deepEqual(encodeTable({ k: 2 ** 31 }), tableBytes(bytes('l', i64(2n ** 31n))))
    assert.deepEqual(encodeTable({ k: -(2 ** 31) - 1 }), tableBytes(bytes('l', i64(-(2n ** 31n) - 1n))))
    assert.deepEqual(encodeTable({ k: 2 ** 60 }), tableBytes(bytes('d', f64(2 ** 60))))
    assert.deepEqual(encodeTable({ k: 0.5 }), tableBytes(bytes('d', f64(0.5))))
    assert.deepEqual(encodeTable({ k: 12n }), tableBytes(bytes('l', i64(12n))))
  })

  test("an own '__proto__' key is kept as data and does not touch the prototype", () => {
    const wire = bytes(u32(1 + 9 + 5), sstr('__proto__'), 'I', u32(1))
    const t = decodeTable(wire)
    assert.equal(Object.getPrototypeOf(t), Object.prototype)
    assert.deepEqual(Object.keys(t), ['__proto__'])
    assert.deepEqual(encodeTable(t), wire)
  })

  test('random tables: decode(encode(t)) deep-equals t and encode(decode(bytes)) === bytes', () => {
    const w = new Writer(512)
    fc.assert(
      fc.property(tableArb, (t) => {
        const wire = encodeTable(t, w)
        const decoded = decodeTable(wire)
        assert.deepStrictEqual(decoded, t)
        assert.deepEqual(encodeTable(decoded, w), wire)
      }),
      { numRuns: 500 },
    )
  })

  test('random field values of every kind survive as array elements', () => {
    fc.assert(
      fc.property(fc.array(fieldValueArb, { maxLength: 8 }), (values) => {
        const t = tableOf([['a', values]])
        assert.deepStrictEqual(decodeTable(encodeTable(t)), t)
      }),
      { numRuns: 300 },
    )
  })

  test('NaN survives as NaN (its payload bits are not kept)', () => {
    const t: FieldTable = { f: new TypedValue('f', NaN), d: NaN }
    const back = decodeTable(encodeTable(t))
    assert.ok(back.f instanceof TypedValue && back.f.type === 'f' && Number.isNaN(back.f.value))
    assert.ok(typeof back.d === 'number' && Number.isNaN(back.d))
  })

  test('a table nested past the depth limit is a SYNTAX_ERROR, not a stack overflow', () => {
    let inner = bytes(u32(0))
    for (let i = 0; i < 100; i++) inner = bytes(u32(inner.length + 2), sstr(''), 'F', inner).subarray(0)
    // Fix up: each level's length prefix must cover key + letter + nested table.
    assert.throws(
      () => decodeTable(inner),
      (e: unknown) => e instanceof Error && 'replyCode' in e && e.replyCode === 502,
    )
  })
})

describe('strings that are not UTF-8', () => {
  // A 100-octet routing key of 0xff would decode to 300 octets of U+FFFD and could not be re-sent as a
  // shortstr, so such short strings are refused with 502 instead of being altered.
  test('a shortstr of octets that are not UTF-8 is a SYNTAX_ERROR', () => {
    const frame = bytes(100, Buffer.alloc(100, 0xff))
    const r = new Reader().reset(frame, 0, frame.length)
    assert.throws(
      () => r.shortstr(),
      (e: unknown) => e instanceof Error && 'replyCode' in e && e.replyCode === 502,
    )
  })

  test('a shortstr holding U+FFFD itself is accepted', () => {
    const text = Buffer.from('a\ufffdb')
    const frame = bytes(text.length, text)
    assert.equal(new Reader().reset(frame, 0, frame.length).shortstr(), 'a\ufffdb')
  })
})
