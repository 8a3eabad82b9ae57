// The hash exchanges' parts without a broker: jump consistent hash, the bucket ring of x-consistent-hash
// (stable placement: binding one more destination moves only about 1/n of the keys, all to it), the
// route-table order of x-modulus-hash, and x-random's pick.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  BucketRing,
  type Exchange,
  FanoutExchange,
  hashText,
  jumpHash,
  Message,
  ModulusHashExchange,
  RandomExchange,
  type RouteSink,
} from '../../src/core/index.js'

const KEYS = Array.from({ length: 10_000 }, (_, i) => hashText(`key-${i}`))

function placements<T>(ring: BucketRing<T>): Array<T | undefined> {
  return KEYS.map((k) => ring.pick(k))
}

describe('jump consistent hash', () => {
  test('a key stays in its bucket when buckets are added, or moves to the new one', () => {
    for (let n = 1; n < 40; n++) {
      let moved = 0
      for (const k of KEYS) {
        const before = jumpHash(k, n)
        const after = jumpHash(k, n + 1)
        assert.ok(before >= 0 && before < n)
        if (after !== before) {
          assert.equal(after, n, `key ${k} moved from ${before} to ${after} at n=${n}`)
          moved++
        }
      }
      const expected = KEYS.length / (n + 1)
      assert.ok(
        Math.abs(moved - expected) < expected * 0.2 + 50,
        `n=${n}: ${moved} moved, ~${expected} expected`,
      )
    }
  })

  test('no buckets, no bucket; one bucket takes every key', () => {
    assert.equal(jumpHash(123, 0), -1)
    assert.ok(KEYS.every((k) => jumpHash(k, 1) === 0))
  })

  test('hashText is stable and a seed gives an unrelated hash', () => {
    assert.equal(hashText('abc'), hashText('abc'))
    assert.notEqual(hashText('abc'), hashText('abd'))
    assert.notEqual(hashText('abc', 1), hashText('abc', 2))
  })
})

describe('x-consistent-hash bucket ring', () => {
  test('binding one more destination moves only ~1/n of the keys, all to it', () => {
    const ring = new BucketRing<string>()
    for (let i = 0; i < 10; i++) ring.add(`q${i}`, 1)
    const before = placements(ring)
    ring.add('q10', 1)
    const after = placements(ring)
    const moved = after.filter((q, i) => q !== before[i])
    assert.ok(moved.every((q) => q === 'q10'))
    const fraction = moved.length / KEYS.length
    assert.ok(fraction > 0.07 && fraction < 0.115, `moved ${fraction}, about 1/11 expected`)
    ring.remove('q10')
    assert.deepEqual(placements(ring), before, 'removing the newest destination restores the placement')
  })

  test('shares follow the weights', () => {
    const ring = new BucketRing<string>()
    ring.add('a', 1)
    ring.add('b', 2)
    ring.add('c', 5)
    const n = { a: 0, b: 0, c: 0 }
    for (const q of placements(ring)) n[q as 'a' | 'b' | 'c']++
    assert.ok(Math.abs(n.a / KEYS.length - 1 / 8) < 0.02, JSON.stringify(n))
    assert.ok(Math.abs(n.b / KEYS.length - 2 / 8) < 0.02, JSON.stringify(n))
    assert.ok(Math.abs(n.c / KEYS.length - 5 / 8) < 0.02, JSON.stringify(n))
  })

  test('removing a destination closes the gap; the ring keeps its order', () => {
    const ring = new BucketRing<string>()
    ring.add('a', 2)
    ring.add('b', 3)
    ring.add('c', 1)
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((b) => ring.ownerOf(b)),
      ['a', 'a', 'b', 'b', 'b', 'c'],
    )
    assert.equal(ring.remove('b'), true)
    assert.equal(ring.size, 3)
    assert.deepEqual(
      [0, 1, 2, 3].map((b) => ring.ownerOf(b)),
      ['a', 'a', 'c', undefined],
    )
    assert.deepEqual(ring.entries(), [
      ['a', 2],
      ['c', 1],
    ])
  })

  test('a destination already on the ring keeps its weight; a huge weight costs one entry', () => {
    const ring = new BucketRing<string>()
    assert.equal(ring.add('a', 1), true)
    assert.equal(ring.add('a', 7), false)
    assert.equal(ring.size, 1)
    ring.add('big', 1_000_000_000)
    assert.equal(ring.entries().length, 2)
    const toA = KEYS.filter((k) => ring.pick(k) === 'a').length
    assert.ok(toA < 5, `${toA} keys reached the weight-1 destination`)
    assert.equal(new BucketRing<string>().pick(1), undefined)
  })
})

/** The destinations a route reached. */
function routeOf(ex: Exchange, routingKey: string): Exchange[] {
  const out: Exchange[] = []
  const sink: RouteSink = {
    add: (d) => void out.push(d as Exchange),
    hold: () => undefined,
    watch: () => undefined,
  }
  ex.route(new Message(ex.name, routingKey, {}, Buffer.alloc(0)), routingKey, sink)
  return out
}

const options = (name: string) => ({
  name,
  vhost: '/',
  durable: false,
  autoDelete: false,
  internal: false,
  args: {},
})

describe('x-modulus-hash and x-random', () => {
  test('x-modulus-hash picks by route-table order, whatever order the bindings were made in', () => {
    const dests = ['b', 'a', 'c', 'a2'].map((n) => new FanoutExchange(options(n)))
    const keysFor = ['2', '1', '1', '3'] // (binding key, destination) pairs, deliberately unsorted
    const one = new ModulusHashExchange(options('m1'))
    const two = new ModulusHashExchange(options('m2'))
    dests.forEach((d, i) => one.bind(d, keysFor[i] as string, {}))
    for (const i of [3, 1, 0, 2]) two.bind(dests[i] as Exchange, keysFor[i] as string, {})
    for (let i = 0; i < 200; i++) {
      assert.deepEqual(
        routeOf(one, `k${i}`).map((d) => d.name),
        routeOf(two, `k${i}`).map((d) => d.name),
      )
    }
    const reached = new Set(Array.from({ length: 200 }, (_, i) => routeOf(one, `k${i}`)[0]?.name))
    assert.deepEqual([...reached].sort(), ['a', 'a2', 'b', 'c'])
  })

  test('x-random picks the binding the random number points at; none without bindings', () => {
    let r = 0
    const ex = new RandomExchange(options('r'), () => r)
    assert.deepEqual(routeOf(ex, 'x'), [])
    const [a, b, c] = [
      new FanoutExchange(options('a')),
      new FanoutExchange(options('b')),
      new FanoutExchange(options('c')),
    ]
    ex.bind(a, '', {})
    assert.deepEqual(routeOf(ex, 'x'), [a])
    ex.bind(b, '', {})
    ex.bind(c, '', {})
    for (const [value, want] of [
      [0, a],
      [0.34, b],
      [0.999, c],
    ] as const) {
      r = value
      assert.deepEqual(routeOf(ex, 'x'), [want])
    }
  })
})
