// The perf tool's pieces on their own: latency histogram accuracy, confirm bookkeeping with out-of-order
// and multiple acks, URI parsing, and the pre-encoded message template.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfirmTracker, LatencyHistogram, parseAmqpUri, redactUri } from '../../src/perf/index.js'
import { buildTemplate } from '../../src/perf/publisher.js'
import { FrameDecoder } from '../../src/protocol/index.js'

test('histogram: percentiles are within 1.6 % of the exact ones', () => {
  const h = new LatencyHistogram()
  const values: number[] = []
  let seed = 7
  for (let i = 0; i < 100_000; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    const v = Math.exp((seed / 0x7fffffff) * 12) / 100 // 0.01 ms .. 1.6 s, log-uniform
    values.push(v)
    h.record(v)
  }
  values.sort((a, b) => a - b)
  for (const p of [50, 75, 95, 99, 99.9]) {
    const exact = values[Math.ceil((p / 100) * values.length) - 1] as number
    const got = h.percentile(p)
    const tolerance = Math.max(exact * 0.016, 0.001)
    assert.ok(Math.abs(got - exact) <= tolerance, `p${p}: ${got} vs ${exact}`)
  }
  assert.equal(h.percentile(100), values[values.length - 1])
  assert.equal(h.summary().samples, 100_000)
})

test('histogram: add() merges and reset() empties', () => {
  const a = new LatencyHistogram()
  const b = new LatencyHistogram()
  a.record(1)
  b.record(3)
  a.add(b)
  assert.equal(a.count, 2)
  assert.equal(a.summary().max_ms, 3)
  a.reset()
  assert.equal(a.count, 0)
  assert.equal(a.percentile(50), 0)
})

test('confirm tracker: in-order, multiple and out-of-order acks settle each message once', () => {
  const t = new ConfirmTracker()
  t.published(10)
  assert.equal(t.outstanding, 10)
  assert.equal(t.settle(true, 3, false), 1) // out of order
  assert.equal(t.settle(true, 1, false), 1)
  assert.equal(t.outstanding, 8)
  assert.equal(t.settle(true, 5, true), 3) // 2, 4 and 5; 3 was already settled
  assert.equal(t.settle(false, 7, false), 1) // nack
  assert.equal(t.settle(true, 7, false), 0) // duplicate
  assert.equal(t.settle(true, 10, true), 4) // 6, 8, 9, 10
  assert.equal(t.settle(true, 11, true), 0) // never published
  assert.equal(t.outstanding, 0)
  assert.equal(t.acked, 9)
  assert.equal(t.nacked, 1)
})

test('uri: defaults, percent-encoding and the vhost', () => {
  assert.deepEqual(parseAmqpUri('amqp://127.0.0.1'), {
    host: '127.0.0.1',
    port: 5672,
    user: 'guest',
    password: 'guest',
    vhost: '/',
  })
  assert.equal(parseAmqpUri('amqp://u:p@h:5673/').vhost, '/')
  assert.equal(parseAmqpUri('amqp://u:p@h/%2f').vhost, '/')
  assert.equal(parseAmqpUri('amqp://u:p@h/prod').vhost, 'prod')
  assert.equal(parseAmqpUri('amqp://us%40r:p%3Ass@h').password, 'p:ss')
  assert.throws(() => parseAmqpUri('amqps://h'), /only amqp/)
  assert.equal(redactUri('amqp://guest:secret@h:1/'), 'amqp://guest:***@h:1/')
})

test('template: one publish as method, header and body frames, with the stamp at the body', () => {
  for (const size of [0, 7, 16, 200_000]) {
    const t = buildTemplate({ exchange: 'x', routingKey: 'k', size, persistent: size === 16 }, 131072)
    const frames: Array<[number, number]> = []
    const d = new FrameDecoder(
      { onFrame: (type, _ch, _buf, start, end) => frames.push([type, end - start]) },
      131072,
    )
    d.push(t.bytes)
    assert.equal(frames[0]?.[0], 1)
    assert.equal(frames[1]?.[0], 2)
    const bodyBytes = frames.slice(2).reduce((n, [type, len]) => (assert.equal(type, 3), n + len), 0)
    assert.equal(bodyBytes, size)
    if (size >= 8) assert.equal(t.bytes[t.stampAt - 7], 3, 'the stamp is in the first body frame')
    else assert.equal(t.stampAt, -1)
  }
})
