import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  encodeShortString,
  Writer,
  writeBodyFrames,
  writeDelivery,
  writeMethodFrame,
  writeRawHeaderFrame,
} from '../../src/protocol/index.js'
import { written } from './helpers.js'

/** The frames of one delivery as the generic encoders write them. */
function generic(
  w: Writer,
  ch: number,
  tag: string,
  dtag: number,
  redelivered: boolean,
  ex: string,
  rk: string,
  raw: Buffer,
  body: Buffer,
  frameMax: number,
): void {
  writeMethodFrame(w, ch, {
    name: 'basic.deliver',
    consumerTag: tag,
    deliveryTag: dtag,
    redelivered,
    exchange: ex,
    routingKey: rk,
  })
  writeRawHeaderFrame(w, ch, body.length, raw)
  if (body.length > 0) writeBodyFrames(w, ch, body, frameMax)
}

test('writeDelivery writes the same bytes as the generic method, header and body encoders', () => {
  const name = fc.string({ maxLength: 60 })
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 65535 }),
      name,
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.boolean(),
      name,
      name,
      fc.uint8Array({ minLength: 2, maxLength: 200 }),
      fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 40_000 })),
      fc.constantFrom(0, 4096, 131072),
      // A small writer slab makes frames straddle slab ends.
      fc.constantFrom(64, 1024, 256 * 1024),
      (ch, tag, dtag, redelivered, ex, rk, props, size, frameMax, slab) => {
        const raw = Buffer.from(props)
        const body = Buffer.alloc(size, 7)
        const expected = written((w) => generic(w, ch, tag, dtag, redelivered, ex, rk, raw, body, frameMax))
        const actual = written(
          (w) => writeDelivery(w, ch, encodeShortString(tag), dtag, redelivered, ex, rk, raw, body, frameMax),
          new Writer(slab),
        )
        assert.ok(actual.equals(expected))
      },
    ),
    { numRuns: 300 },
  )
})

test('a routing key over 255 bytes fails the delivery without leaving half a frame', () => {
  const w = new Writer()
  writeMethodFrame(w, 1, { name: 'channel.open-ok' })
  const before = w.length
  assert.throws(() =>
    writeDelivery(
      w,
      1,
      encodeShortString('c'),
      1,
      false,
      '',
      'k'.repeat(256),
      Buffer.from([0, 0]),
      Buffer.alloc(3),
      4096,
    ),
  )
  assert.equal(w.length, before)
})
