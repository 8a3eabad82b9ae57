// `warren perf stomp` against an in-process Warren over STOMP: counted runs whose counts must add up
// exactly (sent = receipted = received, nothing lost) in each ack mode, the cleanup of the run's
// auto-deleted queue, a refused login, and the parts: URIs and header reading.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runStomp, type StompRunOptions } from '../../src/perf/index.js'
import { headerOf, parseStompUri, redactStompUri } from '../../src/perf/stomp/connection.js'
import { bodyOf } from '../../src/perf/stomp/producer.js'
import { eventually, useBroker } from '../helpers/broker.js'

const target = useBroker()

const uri = (): string => `stomp://guest:guest@127.0.0.1:${target.broker.stompPort}/`
const base: Omit<StompRunOptions, 'uri'> = {
  producers: 1,
  consumers: 1,
  size: 16,
  batch: 100,
  window: 1000,
  ack: 'client-individual',
  prefetch: 500,
  count: 0,
  duration: 30,
  drain: 5,
}

const perfQueues = (): string[] =>
  [...target.broker.broker.vhost('/').queues.keys()].filter((q) => q.startsWith('perf-stomp-'))

test('perf stomp: a counted client-individual run receives every receipted message once, then its queue goes', async () => {
  const r = await runStomp({ ...base, uri: uri(), count: 20_050, brokerPid: process.pid })
  assert.deepEqual(r.errors, [])
  assert.equal(r.sent, 20_050)
  assert.equal(r.receipted, 20_050, 'the last, short batch asks for a receipt too')
  assert.equal(r.received, 20_050)
  assert.equal(r.lost, 0)
  assert.equal(r.duplicates, 0)
  assert.ok(r.rates.received > 0)
  assert.ok(r.destination.startsWith('/queue/perf-stomp-'))
  await eventually(() => perfQueues().length === 0)
})

test('perf stomp: client acks, two producers and two consumers sharing the queue', async () => {
  const r = await runStomp({ ...base, uri: uri(), ack: 'client', producers: 2, consumers: 2, count: 3000 })
  assert.deepEqual(r.errors, [])
  assert.equal(r.receipted, 6000)
  assert.equal(r.received, 6000)
  assert.equal(r.lost, 0)
})

test('perf stomp: auto acks without receipts, paced by the socket alone', async () => {
  const r = await runStomp({ ...base, uri: uri(), ack: 'auto', window: 0, count: 10_000 })
  assert.deepEqual(r.errors, [])
  assert.equal(r.sent, 10_000)
  assert.equal(r.receipted, 0)
  assert.equal(r.received, 10_000)
  assert.equal(r.lost, 0)
})

test('perf stomp: a wrong password fails the run with the ERROR frame', async () => {
  const bad = `stomp://guest:nope@127.0.0.1:${target.broker.stompPort}/`
  await assert.rejects(
    runStomp({ ...base, uri: bad, count: 10 }),
    /CONNECT refused: Bad CONNECT|Access refused/,
  )
})

test('perf stomp parts: stomp URIs, their defaults and their redaction', () => {
  assert.deepEqual(parseStompUri('stomp://u:p%40ss@h:61614/v%2f1'), {
    host: 'h',
    port: 61614,
    user: 'u',
    password: 'p@ss',
    vhost: 'v/1',
  })
  assert.deepEqual(parseStompUri('stomp://h'), {
    host: 'h',
    port: 61613,
    user: 'guest',
    password: 'guest',
    vhost: '/',
  })
  assert.throws(() => parseStompUri('mqtt://h'), /only stomp:\/\//)
  assert.equal(redactStompUri('stomp://u:secret@h/'), 'stomp://u:***@h/')
})

test('perf stomp parts: a header is read from the raw header text, first or later, or not at all', () => {
  const text = 'ack:A1\nsubscription:0\ncontent-length:16\r\nmessage-id:M@@1'
  assert.equal(headerOf(text, 'ack'), 'A1')
  assert.equal(headerOf(text, 'content-length'), '16')
  assert.equal(headerOf(text, 'message-id'), 'M@@1')
  assert.equal(headerOf(text, 'id'), undefined)
  assert.equal(headerOf(text, 'length'), undefined)
  assert.equal(bodyOf(16, 3).readUInt32BE(0), 3)
})
