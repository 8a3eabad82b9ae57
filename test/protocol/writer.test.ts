// The frame writer's slab: frames that cross a slab boundary are moved whole and still decode, take() can
// come at any point, large bodies go by reference, and a frame that fails to encode leaves no bytes behind.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  HEARTBEAT_FRAME,
  type Method,
  Writer,
  writeBodyFrames,
  writeHeaderFrame,
  writeMethodFrame,
} from '../../src/protocol/index.js'
import { AmqpSyntaxError } from '../../src/shared/index.js'
import { tableArb } from './arbitraries.js'
import { collectFrames, decodePayload, type Frame } from './helpers.js'

/** A mix of small and large frames; a table argument makes some larger than a 64-byte slab. */
const methodArb: fc.Arbitrary<Method> = fc.oneof(
  fc.record({
    name: fc.constant('queue.declare' as const),
    queue: fc.string({ maxLength: 100 }),
    passive: fc.boolean(),
    durable: fc.boolean(),
    exclusive: fc.boolean(),
    autoDelete: fc.boolean(),
    noWait: fc.boolean(),
    arguments: tableArb,
  }),
  fc.record({
    name: fc.constant('basic.ack' as const),
    deliveryTag: fc.maxSafeNat(),
    multiple: fc.boolean(),
  }),
  fc.record({
    name: fc.constant('connection.start' as const),
    versionMajor: fc.constant(0),
    versionMinor: fc.constant(9),
    serverProperties: tableArb,
    mechanisms: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    locales: fc.constant(Buffer.from('en_US')),
  }),
)

type Op =
  { kind: 'method'; m: Method } | { kind: 'body'; size: number } | { kind: 'take' } | { kind: 'heartbeat' }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: methodArb.map((m) => ({ kind: 'method' as const, m })) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 0, max: 40_000 }).map((size) => ({ kind: 'body' as const, size })),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'take' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'heartbeat' as const }) },
)

/** Runs ops on a writer; returns what was written and the frames the reference encoding expects. */
function run(ops: readonly Op[], slab: number): { chunks: Buffer[]; expected: Frame[] } {
  const w = new Writer(slab)
  const chunks: Buffer[] = []
  const expected: Frame[] = []
  ops.forEach((op, i) => {
    const channel = i % 5
    if (op.kind === 'take') chunks.push(...w.take())
    else if (op.kind === 'heartbeat') {
      w.bytes(HEARTBEAT_FRAME)
      expected.push({ type: 8, channel: 0, payload: Buffer.alloc(0) })
    } else if (op.kind === 'method') {
      writeMethodFrame(w, channel, op.m)
      const ref = new Writer()
      writeMethodFrame(ref, channel, op.m)
      expected.push(...collectFrames(ref.take()))
    } else {
      const body = Buffer.alloc(op.size, i)
      writeHeaderFrame(w, channel, body.length, { contentType: 'x' })
      writeBodyFrames(w, channel, body, 16 * 1024)
      const ref = new Writer()
      writeHeaderFrame(ref, channel, body.length, { contentType: 'x' })
      writeBodyFrames(ref, channel, body, 16 * 1024)
      expected.push(...collectFrames(ref.take()))
    }
  })
  chunks.push(...w.take())
  return { chunks, expected }
}

describe('writer', () => {
  test('frames crossing a 64-byte slab boundary decode as written', () => {
    const w = new Writer(64)
    const sent: Method[] = []
    for (let i = 0; i < 200; i++) {
      const m: Method = {
        name: 'basic.deliver',
        consumerTag: `consumer-${i}`,
        deliveryTag: i * 7919,
        redelivered: i % 3 === 0,
        exchange: 'e'.repeat(i % 50),
        routingKey: 'r'.repeat((i * 13) % 90),
      }
      sent.push(m)
      writeMethodFrame(w, i % 7, m)
    }
    const chunks = w.take()
    assert.ok(chunks.length > 10, 'the slab filled many times')
    const frames = collectFrames(chunks)
    assert.deepStrictEqual(
      frames.map((f) => decodePayload(f.payload)),
      sent,
    )
    assert.deepEqual(
      frames.map((f) => f.channel),
      sent.map((_, i) => i % 7),
    )
  })

  test('random sequences of frames and takes, on tiny and default slabs, decode as a fresh writer encodes them', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), fc.constantFrom(16, 64, 200, 4096), (ops, slab) => {
        const { chunks, expected } = run(ops, slab)
        assert.deepStrictEqual(collectFrames(chunks), expected)
      }),
      { numRuns: 150 },
    )
  })

  test('length counts bytes written and not yet taken', () => {
    const w = new Writer(64)
    writeMethodFrame(w, 1, { name: 'basic.ack', deliveryTag: 1, multiple: false })
    assert.equal(w.length, 8 + 13)
    writeBodyFrames(w, 1, Buffer.alloc(20_000), 131072)
    assert.equal(w.length, 8 + 13 + 8 + 20_000)
    assert.equal(Buffer.concat(w.take()).length, 8 + 13 + 8 + 20_000)
    assert.equal(w.length, 0)
  })

  test('a large body goes by reference, not copied', () => {
    const w = new Writer()
    const body = Buffer.alloc(100_000, 1)
    writeBodyFrames(w, 1, body, 131072)
    assert.ok(w.take().some((c) => c === body))
  })

  test('a frame that fails to encode leaves no partial bytes, wherever the slab boundary falls', () => {
    const bad: Method = { name: 'basic.consume-ok', consumerTag: 'x'.repeat(256) }
    const badAfterTable: Method = {
      name: 'queue.declare',
      queue: 'q',
      passive: false,
      durable: true,
      exclusive: false,
      autoDelete: false,
      noWait: false,
      arguments: { a: 'y'.repeat(100), b: { ['k'.repeat(300)]: 1 } }, // key over 255 bytes, deep in
    }
    const good: Method = { name: 'basic.ack', deliveryTag: 5, multiple: true }
    for (const slab of [16, 32, 64, 100, 1024]) {
      for (let pre = 0; pre < 12; pre++) {
        const w = new Writer(slab)
        const sent: Method[] = []
        for (let i = 0; i < pre; i++) {
          writeMethodFrame(w, 1, good)
          sent.push(good)
        }
        for (const m of [bad, badAfterTable]) {
          assert.throws(() => writeMethodFrame(w, 1, m), AmqpSyntaxError)
          writeMethodFrame(w, 1, good)
          sent.push(good)
        }
        const frames = collectFrames(w.take())
        assert.deepStrictEqual(
          frames.map((f) => decodePayload(f.payload)),
          sent,
          `slab ${slab}, ${pre} frames before`,
        )
      }
    }
  })

  test('abortFrame after take() and a failed frame as the very first write leave the writer clean', () => {
    const w = new Writer(64)
    assert.throws(() => writeMethodFrame(w, 1, { name: 'connection.blocked', reason: 'r'.repeat(300) }))
    assert.equal(w.length, 0)
    assert.deepEqual(Buffer.concat(w.take()).length, 0)
    writeMethodFrame(w, 2, { name: 'channel.flow', active: true })
    assert.deepStrictEqual(
      collectFrames(w.take()).map((f) => decodePayload(f.payload)),
      [{ name: 'channel.flow', active: true }],
    )
  })

  test('bits that straddle a slab move stay packed in their octet', () => {
    // queue.delete's three bits come right after a shortstr that fills the slab.
    for (let qlen = 0; qlen < 70; qlen++) {
      const w = new Writer(32)
      const m: Method = {
        name: 'queue.delete',
        queue: 'q'.repeat(qlen),
        ifUnused: true,
        ifEmpty: false,
        noWait: true,
      }
      writeMethodFrame(w, 1, m)
      const frames = collectFrames(w.take())
      assert.deepStrictEqual(decodePayload((frames[0] as Frame).payload), m, `queue name of ${qlen}`)
    }
  })
})
