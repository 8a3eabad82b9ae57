// `warren perf mqtt` against an in-process Warren over MQTT: counted runs whose counts must add up exactly
// (sent = acknowledged = received per subscriber, nothing lost), a timed QoS 1 run that drains, a refused
// login, and the parts: URIs, payloads, and the subscriber's accounting of repeats and gaps.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runMqtt, type MqttRunOptions } from '../../src/perf/index.js'
import type { MqttPerfConnection } from '../../src/perf/mqtt/connection.js'
import { payloadOf } from '../../src/perf/mqtt/publisher.js'
import { MqttSubscriber } from '../../src/perf/mqtt/subscriber.js'
import { parseMqttUri, redactMqttUri } from '../../src/perf/mqtt/uri.js'
import { useBroker } from '../helpers/broker.js'

const target = useBroker()

const uri = (): string => `mqtt://guest:guest@127.0.0.1:${target.broker.mqttPort}`
const base: Omit<MqttRunOptions, 'uri'> = {
  qos: 1,
  publishers: 1,
  subscribers: 1,
  size: 16,
  batch: 100,
  window: 500,
  count: 0,
  duration: 30,
  drain: 5,
}

test('perf mqtt: a counted QoS 1 run has every message acknowledged and received once', async () => {
  const r = await runMqtt({ ...base, uri: uri(), count: 20_050, brokerPid: process.pid })
  assert.deepEqual(r.errors, [])
  assert.equal(r.sent, 20_050, 'the last, short batch is sent too')
  assert.equal(r.acked, 20_050)
  assert.equal(r.received, 20_050)
  assert.equal(r.lost, 0)
  assert.equal(r.duplicates, 0)
  assert.equal(r.ack_latency?.samples, 20_050)
  assert.ok(r.rates.received > 0)
  assert.ok(r.broker_rss_mb !== undefined && r.broker_rss_mb > 0)
  assert.ok(r.topic.startsWith('perf/perf-mqtt-'))
})

test('perf mqtt: QoS 0 with two publishers and two subscribers, each subscriber gets every message', async () => {
  const r = await runMqtt({ ...base, uri: uri(), qos: 0, publishers: 2, subscribers: 2, count: 5000 })
  assert.deepEqual(r.errors, [])
  assert.equal(r.sent, 10_000)
  assert.equal(r.acked, 0, 'QoS 0 has no PUBACKs')
  assert.equal(r.received, 20_000)
  assert.equal(r.lost, 0)
  assert.equal(r.ack_latency, null)
})

test('perf mqtt: a timed QoS 1 run stops publishing, drains and loses nothing', async () => {
  const r = await runMqtt({ ...base, uri: uri(), duration: 1, window: 2000 })
  assert.deepEqual(r.errors, [])
  assert.ok(r.elapsed_s >= 1 && r.elapsed_s < 2, `${r.elapsed_s} s`)
  assert.ok(r.sent > 0 && r.received > 0)
  assert.equal(r.lost, 0)
  assert.ok(r.rates.sent > 0)
})

test('perf mqtt: a wrong password fails the run with the CONNACK return code', async () => {
  const bad = `mqtt://guest:nope@127.0.0.1:${target.broker.mqttPort}`
  await assert.rejects(
    runMqtt({ ...base, uri: bad, count: 10 }),
    /CONNACK refused the connection with return code [45]/,
  )
})

test('perf mqtt parts: mqtt URIs, their defaults and their redaction', () => {
  assert.deepEqual(parseMqttUri('mqtt://u%3Av:p%40ss@h:1884'), {
    host: 'h',
    port: 1884,
    user: 'u:v',
    password: 'p@ss',
  })
  assert.deepEqual(parseMqttUri('mqtt://localhost'), {
    host: 'localhost',
    port: 1883,
    user: 'guest',
    password: 'guest',
  })
  assert.throws(() => parseMqttUri('amqp://h'), /only mqtt:\/\//)
  assert.equal(redactMqttUri('mqtt://u:secret@h:1883'), 'mqtt://u:***@h:1883')
})

test('perf mqtt parts: a payload carries its publisher from 8 bytes on', () => {
  assert.equal(payloadOf(16, 7).readUInt32BE(0), 7)
  assert.equal(payloadOf(4, 7).length, 4)
  assert.equal(payloadOf(0, 7).length, 0)
})

test('perf mqtt parts: the subscriber counts repeats apart from first arrivals, and acks QoS 1 in one write', () => {
  const writes: Buffer[] = []
  const conn = { write: (b: Buffer) => writes.push(b) > 0 } as unknown as MqttPerfConnection
  const s = new MqttSubscriber(conn, true)
  const publish = (publisher: number, seq: number, id: number): void => {
    const p = Buffer.alloc(8)
    p.writeUInt32BE(publisher, 0)
    p.writeUInt32BE(seq, 4)
    s.publish(p, 1, id, 0)
  }
  publish(0, 0, 1)
  publish(0, 1, 2)
  publish(1, 0, 3)
  publish(0, 1, 4)
  publish(0, 5, 5)
  s.flush()
  assert.equal(s.received, 5)
  assert.equal(s.duplicates, 1)
  assert.equal(s.unique, 4)
  assert.equal(s.gaps, 3)
  assert.equal(writes.length, 1)
  assert.deepEqual([...(writes[0] as Buffer)].slice(0, 8), [0x40, 2, 0, 1, 0x40, 2, 0, 2])
  assert.equal(writes[0]?.length, 20)
})
