// Every method round-trips: values generated from the spec's field descriptions (read from the XML by the
// test, not by the generator) are written as a frame, split out by the FrameDecoder and decoded back.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  METHOD_IDS,
  type Method,
  type MethodName,
  methodName,
  Writer,
  writeMethodFrame,
} from '../../src/protocol/index.js'
import { methodArb, nonDefaultArb, wireArb } from './arbitraries.js'
import { collectFrames, decodePayload, roundTripMethod, type SpecMethod, specMethods } from './helpers.js'

const spec = specMethods()

/** The method as the decoder returns it: longstr fields come back as Buffers. */
function expected(sm: SpecMethod, m: Record<string, unknown>): Record<string, unknown> {
  const out = { ...m }
  for (const f of sm.fields) {
    const v = out[f.name]
    if (f.type === 'longstr' && typeof v === 'string') out[f.name] = Buffer.from(v)
  }
  return out
}

describe('every method', () => {
  test('the spec and METHOD_IDS list the same methods with the same ids', () => {
    const fromSpec = Object.fromEntries(spec.map((m) => [m.name, [m.classId, m.methodId]]))
    assert.deepEqual(fromSpec, METHOD_IDS)
    for (const [name, [c, m]] of Object.entries(METHOD_IDS)) assert.equal(methodName(c, m), name)
    assert.equal(methodName(60, 999), undefined)
    assert.equal(methodName(999, 10), undefined)
  })

  for (const sm of spec) {
    test(`${sm.name} round-trips with every field set`, () => {
      assert.ok(sm.name in METHOD_IDS, `${sm.name} is generated`)
      const w = new Writer()
      // One case with every field away from its zero value, then random ones (zeros included).
      fc.assert(
        fc.property(methodArb(sm, nonDefaultArb), (m) => {
          assert.deepStrictEqual(roundTripMethod(m as unknown as Method, w), expected(sm, m))
        }),
        { numRuns: 10 },
      )
      fc.assert(
        fc.property(methodArb(sm, wireArb), (m) => {
          assert.deepStrictEqual(roundTripMethod(m as unknown as Method, w), expected(sm, m))
        }),
        { numRuns: 40 },
      )
    })
  }

  test('all methods back to back in one stream decode in order', () => {
    const all = fc.sample(fc.tuple(...spec.map((sm) => methodArb(sm, nonDefaultArb))), {
      numRuns: 1,
      seed: 42,
    })[0] as Record<string, unknown>[]
    const w = new Writer(256)
    all.forEach((m, i) => writeMethodFrame(w, i, m as unknown as Method))
    const frames = collectFrames(w.take())
    assert.deepEqual(
      frames.map((f) => f.channel),
      all.map((_, i) => i),
    )
    assert.deepStrictEqual(
      frames.map((f) => decodePayload(f.payload)),
      all.map((m, i) => expected(spec[i] as SpecMethod, m)),
    )
    assert.equal(new Set(all.map((m) => m.name as MethodName)).size, Object.keys(METHOD_IDS).length)
  })
})
