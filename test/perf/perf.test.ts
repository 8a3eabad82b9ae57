// `warren perf` against an in-process Warren: short, bounded runs whose counts must add up exactly, the
// JSON shape scripts rely on, and the cleanup of what a run declares.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { test } from 'node:test'
import { runChurn, runConnections, runThroughput, type ThroughputOptions } from '../../src/perf/index.js'
import { useBroker } from '../helpers/broker.js'

const target = useBroker()

const base: Omit<ThroughputOptions, 'uri'> = {
  publishers: 1,
  consumers: 1,
  queues: 1,
  size: 16,
  confirm: 0,
  persistent: false,
  durable: false,
  prefetch: 0,
  ack: false,
  multiAck: 1,
  fanout: 0,
  duration: 30,
  count: 0,
  rate: 0,
}

const perfQueues = (): string[] =>
  [...target.broker.broker.vhost('/').queues.keys()].filter((q) => q.startsWith('perf-'))

test('perf throughput: a counted run consumes exactly what it published, spread over queues', async () => {
  const r = await runThroughput({
    ...base,
    uri: target.url,
    publishers: 2,
    consumers: 2,
    queues: 2,
    count: 5000,
  })
  assert.deepEqual(r.errors, [])
  assert.equal(r.published, 10_000)
  assert.equal(r.consumed, 10_000)
  assert.equal(r.latency?.samples, 10_000)
  assert.ok(r.rates.consumed > 0)
  assert.deepEqual(perfQueues(), [], 'the run deletes its queues')
})

test('perf throughput: persistent messages with confirms and manual acks are all confirmed and consumed', async () => {
  const r = await runThroughput({
    ...base,
    uri: target.url,
    count: 3000,
    confirm: 64,
    persistent: true,
    durable: true,
    ack: true,
    prefetch: 50,
  })
  assert.deepEqual(r.errors, [])
  assert.equal(r.published, 3000)
  assert.equal(r.confirmed, 3000)
  assert.equal(r.nacked, 0)
  assert.equal(r.consumed, 3000)
})

test('perf throughput: --fanout delivers every message to every bound queue', async () => {
  const r = await runThroughput({ ...base, uri: target.url, fanout: 3, consumers: 3, count: 1000 })
  assert.deepEqual(r.errors, [])
  assert.equal(r.published, 1000)
  assert.equal(r.consumed, 3000)
  const exchanges = [...target.broker.broker.vhost('/').exchanges.keys()]
  assert.deepEqual(
    exchanges.filter((x) => x.startsWith('perf-')),
    [],
    'the run deletes its exchange',
  )
})

test('perf throughput: multi-ack acks every n-th delivery and still receives everything', async () => {
  const r = await runThroughput({
    ...base,
    uri: target.url,
    count: 1005,
    ack: true,
    multiAck: 10,
    prefetch: 100,
  })
  assert.deepEqual(r.errors, [])
  assert.equal(r.consumed, 1005)
})

test('perf throughput: --exchange-type with a unique header per message, and queue arguments', async () => {
  // Every message has a key of its own, so a deduplicating exchange routes them all; the queues are
  // quorum queues, as --queue-arg asks.
  let types: string[] = []
  const watch = setInterval(() => {
    const qs = [...target.broker.broker.vhost('/').queues.values()].filter((q) => q.name.startsWith('perf-'))
    if (qs.length > 0) types = qs.map((q) => q.type)
  }, 5)
  const r = await runThroughput({
    ...base,
    uri: target.url,
    count: 2000,
    durable: true,
    exchangeType: 'x-message-deduplication',
    exchangeArgs: { 'x-cache-size': 10_000 },
    uniqueHeader: 'x-deduplication-header',
    queueArgs: { 'x-queue-type': 'quorum' },
  })
  clearInterval(watch)
  assert.deepEqual(r.errors, [])
  assert.equal(r.consumed, 2000, 'every key differs (one key would let a single message through)')
  assert.deepEqual(types, ['quorum'])
  assert.equal(r.options['exchange_type'], 'x-message-deduplication')
})

test('perf latency: a fixed-rate timed run keeps to its rate and reports percentiles in order', async () => {
  const r = await runThroughput({ ...base, uri: target.url, mode: 'latency', rate: 400, duration: 1 })
  assert.deepEqual(r.errors, [])
  assert.equal(r.mode, 'latency')
  // The stop may come a few ms late on a loaded machine (408 seen): the rate, not the stop, is checked.
  assert.ok(r.published >= 360 && r.published <= 420, `published ${r.published}`)
  assert.ok(r.consumed <= r.published)
  const l = r.latency
  assert.ok(l)
  assert.ok(l.min_ms <= l.p50_ms && l.p50_ms <= l.p99_ms && l.p99_ms <= l.p999_ms && l.p999_ms <= l.max_ms)
})

test('perf throughput: the result has the documented JSON shape', async () => {
  const r = await runThroughput({ ...base, uri: target.url, count: 100 })
  const parsed = JSON.parse(JSON.stringify(r)) as Record<string, unknown>
  assert.deepEqual(Object.keys(parsed).sort(), [
    'blocked_count',
    'client_cpu_pct',
    'confirmed',
    'consumed',
    'elapsed_s',
    'errors',
    'latency',
    'mode',
    'nacked',
    'options',
    'published',
    'rates',
    'returned',
    'uri',
  ])
  assert.deepEqual(Object.keys(parsed['rates'] as object).sort(), ['confirmed', 'consumed', 'published'])
  assert.deepEqual(Object.keys(parsed['latency'] as object), [
    'samples',
    'min_ms',
    'mean_ms',
    'p50_ms',
    'p75_ms',
    'p95_ms',
    'p99_ms',
    'p999_ms',
    'max_ms',
  ])
  assert.match(r.uri, /^amqp:\/\/guest:\*\*\*@/)
})

test('perf throughput: a vhost the broker refuses fails the run with the broker’s reply', async () => {
  const uri = target.url.replace(/\/?$/, '/no-such-vhost')
  await assert.rejects(runThroughput({ ...base, uri, count: 10 }), /530/)
})

test('perf churn: opens and closes connections for the duration', async () => {
  const r = await runChurn({ uri: target.url, duration: 0.5, concurrency: 4 })
  assert.deepEqual(r.errors, [])
  assert.equal(r.failures, 0)
  assert.ok(r.connections > 0)
  assert.equal(r.open_latency?.samples, r.connections)
})

test('perf connections: holds N connections and reads the broker’s RSS', async () => {
  const r = await runConnections({
    uri: target.url,
    count: 40,
    concurrency: 10,
    hold: 0.1,
    brokerPid: process.pid,
  })
  assert.deepEqual(r.errors, [])
  assert.equal(r.opened, 40)
  assert.equal(r.failed, 0)
  assert.equal(r.memory_source, 'rss')
  assert.equal(typeof r.kb_per_connection, 'number')
})

test('warren perf --json prints one JSON result line', async () => {
  const bin = fileURLToPath(new URL('../../src/bin/warren.js', import.meta.url))
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [bin, 'perf', '--uri', target.url, '--count', '500', '--publishers', '2', '--json', '--quiet'],
    { timeout: 30_000 },
  )
  const r = JSON.parse(stdout) as { mode: string; published: number; consumed: number; errors: string[] }
  assert.equal(r.mode, 'throughput')
  assert.equal(r.published, 1000)
  assert.equal(r.consumed, 1000)
  assert.deepEqual(r.errors, [])
})
