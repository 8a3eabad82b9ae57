import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Reader, ShortStringCache } from '../../src/protocol/index.js'

/** A short string as it is on the wire: length octet, then the UTF-8 bytes. */
function wire(s: string): Buffer {
  const b = Buffer.from(s)
  return Buffer.concat([Buffer.from([b.length]), b])
}

test('short strings decode to the same value whether or not they were seen before', () => {
  // Many strings of similar shape collide in the cache's slots, and each is read several times in a
  // random order, so hits, misses and overwritten slots all happen.
  const names = fc.oneof(
    fc.string({ minLength: 0, maxLength: 40 }),
    fc.stringMatching(/^[a-z]{1,3}\.[a-z0-9]{1,3}$/),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
  )
  fc.assert(
    fc.property(
      fc.array(names, { minLength: 1, maxLength: 300 }),
      fc.array(fc.nat(), { maxLength: 600 }),
      (ss, order) => {
        const r = new Reader(new ShortStringCache())
        for (const i of [...order, ...ss.keys()]) {
          const s = ss[i % ss.length] as string
          const b = wire(s)
          assert.equal(r.reset(b, 0, b.length).shortstr(), s)
        }
      },
    ),
  )
})

test('a cached string is only returned for exactly its bytes', () => {
  const r = new Reader(new ShortStringCache())
  const a = wire('orders.created')
  const b = wire('orders.createe') // same length, first, middle and last byte differ only at the end
  assert.equal(r.reset(a, 0, a.length).shortstr(), 'orders.created')
  assert.equal(r.reset(b, 0, b.length).shortstr(), 'orders.createe')
  assert.equal(r.reset(a, 0, a.length).shortstr(), 'orders.created')
  // Same bytes at another offset of another buffer.
  const c = Buffer.concat([Buffer.from('xyz'), a])
  assert.equal(r.reset(c, 3, c.length).shortstr(), 'orders.created')
})

test('invalid UTF-8 is refused every time, not cached', () => {
  const r = new Reader(new ShortStringCache())
  const bad = Buffer.from([2, 0xc3, 0x28])
  for (let i = 0; i < 2; i++) assert.throws(() => r.reset(bad, 0, bad.length).shortstr(), /not valid UTF-8/)
})
