// The deduplicating exchange's key cache (src/core/exchange/dedup/): random adds, lookups, deletes,
// evictions, expiries and growth checked against a plain Map model that keeps insertion order, and the
// batch record codec round-tripped.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DedupCache } from '../../src/core/exchange/index.js'
import { decodeKeys, encodeKeys } from '../../src/core/exchange/dedup/key-records.js'
import { ManualClock } from '../../src/shared/index.js'

/** A tiny deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

function run(capacity: number, seed: number, ops: number): void {
  const clock = new ManualClock(1000)
  const cache: DedupCache<number> = new DedupCache<number>(capacity, clock, () => undefined)
  const model = new Map<string, number>() // key -> tag, in insertion order
  const rnd = random(seed)
  for (let i = 0; i < ops; i++) {
    const r = rnd()
    const key = `k${Math.floor(rnd() * capacity * 3)}`
    if (r < 0.7) {
      const slot = cache.find(key)
      assert.equal(slot >= 0, model.has(key), `op ${i}: find ${key}`)
      if (slot >= 0) {
        assert.equal(cache.tagOf(slot), model.get(key), `op ${i}: tag of ${key}`)
        continue
      }
      if (model.size >= capacity) model.delete(model.keys().next().value as string)
      const added = cache.add(key, Infinity)
      cache.setTag(added, i)
      model.set(key, i)
    } else {
      cache.delete(key)
      model.delete(key)
    }
    assert.equal(cache.size, model.size, `op ${i}: size`)
  }
  for (const [k, tag] of model) assert.equal(cache.tagOf(cache.find(k)), tag, `final ${k}`)
  cache.clear(true)
  assert.equal(cache.size, 0)
}

test('the key cache agrees with a Map model through adds, deletes, evictions and growth', () => {
  for (const [capacity, seed] of [
    [1, 1],
    [7, 2],
    [100, 3],
    [3000, 4], // grows past the first 1,024 slots
  ] as const) {
    run(capacity, seed, 40_000)
  }
})

test('a full cache evicts its oldest key; a deleted key frees its slot for the ring', () => {
  const clock = new ManualClock(0)
  const gone: string[] = []
  const cache: DedupCache<undefined> = new DedupCache(3, clock, (s) => gone.push(cache.keyAt(s) as string))
  for (const k of ['a', 'b', 'c']) cache.add(k, Infinity)
  cache.add('d', Infinity)
  assert.deepEqual(gone, ['a'])
  cache.delete('c')
  assert.deepEqual(gone, ['a', 'c'])
  cache.add('e', Infinity) // there is room: b, the oldest, stays
  assert.equal(cache.size, 3)
  cache.add('f', Infinity) // full: b goes
  assert.deepEqual(gone, ['a', 'c', 'b'])
  assert.deepEqual(
    ['a', 'b', 'c', 'd', 'e', 'f'].filter((k) => cache.find(k) >= 0),
    ['d', 'e', 'f'],
  )
})

test('expired keys are not found and are swept, at most once a second', () => {
  const clock = new ManualClock(0)
  let swept = 0
  const cache = new DedupCache<undefined>(10, clock, () => swept++)
  cache.add('short', 100)
  cache.add('long', 5000)
  cache.add('never', Infinity)
  clock.advance(1000)
  assert.equal(swept, 1)
  assert.equal(cache.size, 2)
  assert.equal(cache.find('short'), -1)
  clock.advance(4000)
  assert.equal(cache.size, 1)
  assert.ok(cache.find('never') >= 0)
})

test('key records round-trip keys of any script, with and without expiry', () => {
  const keys = ['order-1', 'ключ', '🔑x', '', 'k'.repeat(5000)]
  const expiries = [Infinity, 1234.5, 99, Infinity, 7]
  const back = decodeKeys(encodeKeys(keys, expiries))
  assert.deepEqual(
    back,
    keys.map((key, i) => ({ key, expiresAt: expiries[i] })),
  )
  // A torn body yields the whole keys before the tear.
  const body = encodeKeys(keys, expiries)
  assert.deepEqual(
    decodeKeys(body.subarray(0, body.length - 3)).map((k) => k.key),
    keys.slice(0, 4),
  )
})
