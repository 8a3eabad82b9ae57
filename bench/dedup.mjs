// Deduplicating exchange vs a plain direct exchange, in one run: publishes through Warren's core (the
// vhost's router, the exchange, a classic queue) without the wire, so that the figure is the exchange's
// own cost and not a client's. Every keyed message has a new x-deduplication-header (the expensive case:
// each is a cache insert, and once the cache is full an eviction too); a second dedup scenario sends each
// key twice (half are duplicates). The queue drops its head past 10,000 messages so memory stays flat.
// Usage (after npm run build): node bench/dedup.mjs [seconds per scenario, default 3]
import { Buffer } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import { Message } from '../dist/src/core/index.js'
import { startBroker } from '../dist/src/index.js'

const SECONDS = Number(process.argv[2] ?? 3)
const running = await startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
const vhost = running.broker.vhosts.get('/')

function topology(name, type, args) {
  const ex = vhost.declareExchange({
    name,
    type,
    passive: false,
    durable: false,
    autoDelete: false,
    internal: false,
    args,
  })
  const q = vhost.declareQueue(
    {
      name: `${name}.q`,
      passive: false,
      durable: false,
      exclusiveOwner: undefined,
      autoDelete: false,
      args: { 'x-max-length': 10_000 },
    },
    0,
  )
  vhost.bind(ex, q, 'k', {})
  return ex
}

const body = Buffer.alloc(16)
function run(label, ex, headersFor) {
  let n = 0
  const until = performance.now() + SECONDS * 1000
  const started = performance.now()
  while (performance.now() < until) {
    for (let i = 0; i < 1000; i++, n++) {
      const headers = headersFor(n)
      vhost.publish(ex, new Message(ex.name, 'k', headers ? { headers } : {}, body))
    }
  }
  const rate = n / ((performance.now() - started) / 1000)
  console.log(`${label.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} msg/s`)
  return rate
}

const direct = topology('bench.direct', 'direct', {})
const dedup = topology('bench.dedup', 'x-message-deduplication', { 'x-cache-size': 100_000 })
const dedupTtl = topology('bench.dedup.ttl', 'x-message-deduplication', {
  'x-cache-size': 100_000,
  'x-cache-ttl': 60_000,
})
const rates = {}
for (let round = 0; round < 2; round++) {
  // Round 0 warms the JIT; round 1 is reported.
  rates.direct = run('direct, no headers', direct, () => undefined)
  rates.directHeader = run('direct, with an x-deduplication-header', direct, (n) => ({
    'x-deduplication-header': `id-${n}`,
  }))
  rates.unique = run('x-message-deduplication, every key new', dedup, (n) => ({
    'x-deduplication-header': `id-${n}`,
  }))
  rates.ttl = run('x-message-deduplication + x-cache-ttl, new keys', dedupTtl, (n) => ({
    'x-deduplication-header': `t-${n}`,
  }))
  rates.half = run('x-message-deduplication, each key twice', dedup, (n) => ({
    'x-deduplication-header': `h-${n >> 1}`,
  }))
  if (round === 0) console.log('-- measured:')
}
const pct = (r) => `${Math.round((100 * r) / rates.directHeader)} %`
console.log(
  `new keys: ${pct(rates.unique)} of direct with the same headers; with a TTL: ${pct(rates.ttl)}; half duplicates: ${pct(rates.half)}`,
)
await running.close()
