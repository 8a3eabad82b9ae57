// Topic matching with thousands of bindings. "cached" routes keys the exchange has seen (its per-key cache
// answers: the common case, traffic repeating a few keys); "uncached" calls match() on fresh keys, which
// is what the first publish of each key, or every publish after a binding change, costs.
import { performance } from 'node:perf_hooks'
import { TopicExchange } from '../../dist/src/core/index.js'
import { bench, section } from './harness.mjs'

/** Deterministic pseudo-random numbers, so runs compare. */
let seed = 42
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
}

/**
 * Two kinds of binding sets. "selective": words from a vocabulary of 1,000, few wildcards, so a key
 * matches a handful of bindings (routing by entity ids). "wildcard-heavy": 10 common words, 20 % `*` and
 * 10 % `#`, so a key matches a large share of the bindings (broad subscriptions).
 */
const KINDS = {
  selective: { vocabulary: 1000, star: 0.1, hash: 0.03 },
  'wildcard-heavy': { vocabulary: 10, star: 0.2, hash: 0.1 },
}
const word = (k) => `w${rand(k.vocabulary)}`

/** A binding key of 3-5 words with some `*` and `#`. */
function pattern(k) {
  const parts = []
  for (let i = 0, n = 3 + rand(3); i < n; i++) {
    const r = rand(1000) / 1000
    parts.push(r < k.hash ? '#' : r < k.hash + k.star ? '*' : word(k))
  }
  return parts.join('.')
}
const key = (k) => Array.from({ length: 3 + rand(3) }, () => word(k)).join('.')

function exchange(k, bindings) {
  const x = new TopicExchange({
    name: 'bench.topic',
    vhost: '/',
    durable: false,
    autoDelete: false,
    internal: false,
    args: {},
  })
  for (let i = 0; i < bindings; i++) {
    // Each binding gets a destination of its own; it only needs the `incomingSet` bind() adds to.
    const dest = { name: `q${i % 500}`, incomingSet: new Set() }
    x.bind(dest, pattern(k), {})
  }
  return x
}

const sink = {
  n: 0,
  add() {
    this.n++
  },
}
const msg = {}

for (const [kind, k] of Object.entries(KINDS)) {
  for (const bindings of [1_000, 10_000, 50_000]) {
    section(`topic exchange, ${bindings.toLocaleString('en-US')} ${kind} bindings`)
    const t0 = performance.now()
    const x = exchange(k, bindings)
    const buildMs = performance.now() - t0
    const keys = Array.from({ length: 1000 }, () => key(k))
    const matches = keys.reduce((n, key) => n + x.match(key).length, 0) / keys.length
    console.log(`${'destinations matched per key (average)'.padEnd(58)} ${matches.toFixed(1)}`)
    console.log(`${'build: bind every key'.padEnd(58)} ${buildMs.toFixed(1)} ms`)
    await bench(
      `route, cached (1,000 distinct keys)`,
      () => {
        for (const key of keys) x.route(msg, key, sink)
      },
      { batch: keys.length, unit: 'route' },
    )
    const fresh = Array.from({ length: 2000 }, () => key(k))
    let i = 0
    await bench(
      `match, uncached (fresh keys)`,
      () => {
        for (let j = 0; j < 100; j++) x.match(fresh[i++ % fresh.length])
      },
      { batch: 100, unit: 'match' },
    )
  }
}
