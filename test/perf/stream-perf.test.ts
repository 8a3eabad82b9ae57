// `warren perf stream` against an in-process Warren over the Stream protocol: counted runs whose counts
// must add up exactly (published = confirmed = consumed), a consumer attaching at `first` of a kept
// stream with its time to first delivery, and the cleanup of the stream a run creates.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runStream, type StreamRunOptions } from '../../src/perf/index.js'
import { amqp10Body } from '../../src/perf/stream/publisher.js'
import { parseStreamUri, redactStreamUri } from '../../src/perf/stream/uri.js'
import { decodeAmqp10 } from '../../src/stream-protocol/index.js'
import { useBroker } from '../helpers/broker.js'

const target = useBroker()

const uri = (): string => `rabbitmq-stream://guest:guest@127.0.0.1:${target.broker.streamPort}/`
const base: Omit<StreamRunOptions, 'uri'> = {
  publishers: 1,
  consumers: 1,
  size: 16,
  batch: 100,
  confirmWindow: 5000,
  credit: 10,
  offset: 'first',
  count: 0,
  duration: 30,
}

const perfStreams = (): string[] =>
  [...target.broker.broker.vhost('/').queues.keys()].filter((q) => q.startsWith('perf-stream-'))

test('perf stream: a counted run confirms and consumes exactly what it published, then deletes its stream', async () => {
  const r = await runStream({ ...base, uri: uri(), count: 20_050, brokerPid: process.pid })
  assert.deepEqual(r.errors, [])
  assert.equal(r.published, 20_050, 'the last, short batch is published too')
  assert.equal(r.confirmed, 20_050)
  assert.equal(r.publish_errors, 0)
  assert.equal(r.consumed, 20_050)
  assert.equal(r.confirm_latency?.samples, 20_050)
  assert.ok(r.rates.confirmed > 0)
  assert.ok(r.broker_rss_mb && r.broker_rss_mb.end > 0)
  assert.deepEqual(perfStreams(), [], 'the run deletes its stream')
})

test('perf stream: two publishers of 1 KiB messages, two consumers each reading both', async () => {
  const r = await runStream({ ...base, uri: uri(), publishers: 2, consumers: 2, size: 1024, count: 3000 })
  assert.deepEqual(r.errors, [])
  assert.equal(r.confirmed, 6000)
  assert.equal(r.consumed, 12_000)
})

test('perf stream: a kept stream read from first reports its time to first delivery', async () => {
  const stream = `perf-kept-${process.pid}`
  const fill = await runStream({ ...base, uri: uri(), stream, keep: true, consumers: 0, count: 10_000 })
  assert.deepEqual(fill.errors, [])
  assert.equal(fill.confirmed, 10_000)
  assert.ok(target.broker.broker.vhost('/').queues.has(stream), '--keep leaves the stream')
  const read = await runStream({ ...base, uri: uri(), stream, publishers: 0, count: 10_000 })
  assert.deepEqual(read.errors, [])
  assert.equal(read.consumed, 10_000)
  const [first] = read.first_delivery_ms
  assert.ok(typeof first === 'number' && first > 0 && first < 5000, `first delivery after ${first} ms`)
  assert.ok(!target.broker.broker.vhost('/').queues.has(stream), 'without --keep the stream is deleted')
})

test('perf stream: a wrong password fails the run with the response code', async () => {
  await assert.rejects(
    runStream({ ...base, uri: `rabbitmq-stream://guest:nope@127.0.0.1:${target.broker.streamPort}/` }),
    /SASL authenticate failed with response code 0x08/,
  )
})

test('perf stream parts: the published body is one AMQP 1.0 data section of the given size', () => {
  for (const size of [0, 16, 255, 256, 1024]) {
    const m = decodeAmqp10(amqp10Body(size), 's')
    assert.equal(m.body.length, size, `size ${size}`)
  }
})

test('perf stream parts: rabbitmq-stream URIs, their defaults and their redaction', () => {
  assert.deepEqual(parseStreamUri('rabbitmq-stream://u:p%40ss@h:5553/v%2f1'), {
    host: 'h',
    port: 5553,
    user: 'u',
    password: 'p@ss',
    vhost: 'v/1',
  })
  assert.deepEqual(parseStreamUri('rabbitmq-stream://h'), {
    host: 'h',
    port: 5552,
    user: 'guest',
    password: 'guest',
    vhost: '/',
  })
  assert.throws(() => parseStreamUri('amqp://h/'), /only rabbitmq-stream/)
  assert.equal(redactStreamUri('rabbitmq-stream://u:secret@h:1/'), 'rabbitmq-stream://u:***@h:1/')
})
