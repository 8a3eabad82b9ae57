// The 14 basic content properties: flag bits as the spec orders them (content-type is bit 15, cluster-id
// bit 2), each alone and all together, through encodeBasicProperties/decodeBasicProperties and through a
// whole content header frame.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  type BasicProperties,
  decodeBasicProperties,
  encodeBasicProperties,
  Reader,
  Writer,
  writeHeaderFrame,
  writeRawHeaderFrame,
} from '../../src/protocol/index.js'
import { scalarArbs, shortstrArb, tableArb, tableOf } from './arbitraries.js'
import { bytes, collectFrames, lstr, sstr, u16, u32, u64, written } from './helpers.js'

type Key = keyof BasicProperties

/** Property, its flag bit, an arbitrary for it, and a fixed non-default value. */
const PROPS: [Key, number, fc.Arbitrary<unknown>, unknown][] = [
  ['contentType', 0x8000, shortstrArb, 'application/json'],
  ['contentEncoding', 0x4000, shortstrArb, 'gzip'],
  ['headers', 0x2000, tableArb, { 'x-a': 1, 'x-b': 'two' }],
  ['deliveryMode', 0x1000, fc.integer({ min: 0, max: 255 }), 2],
  ['priority', 0x0800, fc.integer({ min: 0, max: 255 }), 9],
  ['correlationId', 0x0400, shortstrArb, 'corr-1'],
  ['replyTo', 0x0200, shortstrArb, 'amq.rabbitmq.reply-to'],
  ['expiration', 0x0100, shortstrArb, '60000'],
  ['messageId', 0x0080, shortstrArb, 'msg-1'],
  ['timestamp', 0x0040, fc.maxSafeNat(), 1700000000],
  ['type', 0x0020, shortstrArb, 'order.created'],
  ['userId', 0x0010, shortstrArb, 'guest'],
  ['appId', 0x0008, shortstrArb, 'warren-test'],
  ['clusterId', 0x0004, shortstrArb, 'cluster-a'],
]

function encode(p: BasicProperties, w = new Writer()): Buffer {
  return written((x) => encodeBasicProperties(x, p), w)
}

function decode(raw: Buffer): BasicProperties {
  const r = new Reader().reset(raw, 0, raw.length)
  const p = decodeBasicProperties(r)
  assert.equal(r.pos, raw.length, 'every property byte is read')
  return p
}

/** Through a content header frame and back. */
function viaHeaderFrame(p: BasicProperties, bodySize: number): BasicProperties {
  const frames = collectFrames([written((w) => writeHeaderFrame(w, 4, bodySize, p))])
  assert.equal(frames.length, 1)
  const f = frames[0] as (typeof frames)[number]
  assert.equal(f.type, 2)
  const r = new Reader().reset(f.payload, 0, f.payload.length)
  assert.equal(r.short(), 60, 'class id')
  assert.equal(r.short(), 0, 'weight')
  assert.equal(r.longlong(), bodySize)
  return decodeBasicProperties(r)
}

describe('basic properties', () => {
  test('the table above lists all 14, with distinct flag bits 15..2', () => {
    assert.equal(PROPS.length, 14)
    assert.equal(
      PROPS.reduce((acc, [, bit]) => acc | bit, 0),
      0xfffc,
    )
  })

  test('no properties: a zero flags word', () => {
    assert.deepEqual(encode({}), u16(0))
    assert.deepEqual(decode(u16(0)), {})
  })

  for (const [key, bit, arb, fixed] of PROPS) {
    test(`${key} alone sets flag 0x${bit.toString(16)} and round-trips`, () => {
      const raw = encode({ [key]: fixed })
      assert.equal(raw.readUInt16BE(0), bit)
      assert.deepStrictEqual(decode(raw), { [key]: fixed })
      assert.deepStrictEqual(viaHeaderFrame({ [key]: fixed }, 3), { [key]: fixed })
      fc.assert(
        fc.property(arb, (v) => {
          const p = { [key]: v } as BasicProperties
          const got = encode(p)
          assert.equal(got.readUInt16BE(0), bit)
          assert.deepStrictEqual(decode(got), p)
        }),
        { numRuns: 50 },
      )
    })
  }

  test('all 14 together, golden bytes in spec order', () => {
    const all = Object.fromEntries(PROPS.map(([k, , , v]) => [k, v])) as BasicProperties
    const expected = bytes(
      u16(0xfffc),
      sstr('application/json'),
      sstr('gzip'),
      bytes(u32(21), sstr('x-a'), 'I', u32(1), sstr('x-b'), 'S', lstr('two')),
      2,
      9,
      sstr('corr-1'),
      sstr('amq.rabbitmq.reply-to'),
      sstr('60000'),
      sstr('msg-1'),
      u64(1700000000),
      sstr('order.created'),
      sstr('guest'),
      sstr('warren-test'),
      sstr('cluster-a'),
    )
    assert.equal(encode(all).toString('hex'), expected.toString('hex'))
    assert.deepStrictEqual(decode(expected), all)
    assert.deepStrictEqual(viaHeaderFrame(all, 2 ** 40), all)
  })

  test('random subsets of the 14 round-trip', () => {
    const arb = fc.record(Object.fromEntries(PROPS.map(([k, , a]) => [k, a])), {
      requiredKeys: [],
      noNullPrototype: true,
    })
    const w = new Writer(256)
    fc.assert(
      fc.property(arb, (p) => {
        assert.deepStrictEqual(decode(encode(p as BasicProperties, w)), p)
      }),
      { numRuns: 300 },
    )
  })

  test('headers holding every field type, nested, round-trip', () => {
    const entries = Object.entries(scalarArbs).map(([letter, a]) => [
      letter,
      fc.sample(a, { numRuns: 1, seed: 7 })[0],
    ])
    const headers = tableOf([
      ...(entries as [string, never][]),
      ['F', tableOf(entries as [string, never][])],
      ['A', entries.map(([, v]) => v) as never],
    ])
    const p: BasicProperties = { contentType: 'text/plain', headers, deliveryMode: 1 }
    assert.deepStrictEqual(decode(encode(p)), p)
    assert.deepStrictEqual(viaHeaderFrame(p, 0), p)
  })

  test('a continuation flag bit is followed by further flag words, which are skipped', () => {
    const raw = bytes(u16(0x8000 | 1), u16(0x0001), u16(0x0000), sstr('a/b'))
    assert.deepEqual(decode(raw), { contentType: 'a/b' })
  })

  test('properties encoded on a small writer, with headers larger than its slab, are intact', () => {
    const headers = tableOf(Array.from({ length: 40 }, (_, i) => [`header-${i}`, 'v'.repeat(i)]))
    const p: BasicProperties = { headers, messageId: 'm' }
    const reference = encode(p)
    const w = new Writer(64)
    for (let i = 0; i < 20; i++) {
      const got = encode(p, w)
      assert.equal(got.toString('hex'), reference.toString('hex'), `encoding ${i}`)
      assert.deepStrictEqual(decode(got), p)
      encodeBasicProperties(w, { type: 'x'.repeat(i) }) // leaves the slab at a different offset
      w.take()
    }
  })

  test('a raw header frame carries properties of any size, large ones included', () => {
    for (const size of [0, 100, 16 * 1024 - 1, 16 * 1024, 100_000]) {
      const p: BasicProperties = { headers: { big: 'h'.repeat(size) }, appId: 'a' }
      const raw = encode(p)
      const w = new Writer(1024)
      writeRawHeaderFrame(w, 9, 77, raw)
      const frames = collectFrames(w.take())
      assert.equal(frames.length, 1, `size ${size}`)
      const payload = (frames[0] as (typeof frames)[number]).payload
      assert.deepEqual(payload, bytes(u16(60), u16(0), u64(77), raw))
    }
  })
})
