// MQTT from a client other than MQTT.js and mosquitto: Python's paho-mqtt runs
// test/fixtures/paho-mqtt.py against an in-process Warren, with amqplib on the AMQP side. The same script
// against RabbitMQ 3.10.8 gave the same messages, properties and retained flags. Skipped where no python3
// has paho (Debian's python3-paho-mqtt; .ci/run installs it).
import assert from 'node:assert/strict'
import { execFile, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { test } from 'node:test'
import { amqp, eventually, useBroker } from '../helpers/broker.js'

const b = useBroker()
const SCRIPT = fileURLToPath(new URL('../../../test/fixtures/paho-mqtt.py', import.meta.url))
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import paho.mqtt.client'], { stdio: 'ignore' }).status === 0,
)
const skip = !PYTHON && 'no python3 with paho-mqtt (Debian: python3-paho-mqtt)'
const args = (...rest: string[]): string[] => [SCRIPT, '127.0.0.1', String(b.broker.mqttPort), ...rest]

test(
  'paho: QoS 1 publishes are PUBACKed and reach an AMQP consumer as RabbitMQ maps them',
  { skip },
  async () => {
    const id = randomBytes(4).toString('hex')
    const conn = await amqp.connect(b.url)
    try {
      const ch = await conn.createChannel()
      const q = (await ch.assertQueue('', { exclusive: true })).queue
      await ch.bindQueue(q, 'amq.topic', `paho.${id}.t`)
      const got: amqp.ConsumeMessage[] = []
      await ch.consume(q, (m) => m && got.push(m), { noAck: true })
      // Asynchronously: the broker runs in this process, and a synchronous child would stall it.
      const run = await promisify(execFile)(PYTHON as string, args('publish', `paho/${id}/t`, '5'), {
        timeout: 60_000,
      })
      assert.deepEqual(JSON.parse(run.stdout), { acked: 5 })
      await eventually(() => got.length === 5, 5000)
      assert.deepEqual(
        got.map((m) => m.content.toString()),
        ['m0', 'm1', 'm2', 'm3', 'm4'],
      )
      for (const m of got) {
        assert.equal(m.fields.exchange, 'amq.topic')
        assert.equal(m.fields.routingKey, `paho.${id}.t`)
        assert.equal(m.properties.deliveryMode, 2)
        assert.deepEqual(m.properties.headers, { 'x-mqtt-publish-qos': 1, 'x-mqtt-dup': false })
      }
    } finally {
      await conn.close()
    }
  },
)

test(
  'paho: a new subscriber gets the retained message, then AMQP publishes at their QoS',
  { skip },
  async () => {
    const prefix = `paho/${randomBytes(4).toString('hex')}`
    const child = spawn(PYTHON as string, args('subscribe', prefix, '2'))
    let out = ''
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('READY\n')) resolve()
      }),
    )
    const conn = await amqp.connect(b.url)
    try {
      await Promise.race([ready, exited.then(() => assert.fail(`script ended early: ${err}`))])
      const ch = await conn.createChannel()
      const key = `${prefix.replace('/', '.')}.live`
      ch.publish('amq.topic', key, Buffer.from('from-amqp-1'))
      ch.publish('amq.topic', key, Buffer.from('from-amqp-2'), { headers: { 'x-mqtt-publish-qos': 0 } })
      assert.equal(await exited, 0, err)
    } finally {
      await conn.close()
      child.kill()
    }
    const result = JSON.parse(out.slice(out.indexOf('READY\n') + 6)) as { messages: unknown[] }
    assert.deepEqual(result.messages, [
      { topic: `${prefix}/status`, payload: 'online', qos: 1, retain: true },
      { topic: `${prefix}/live`, payload: 'from-amqp-1', qos: 1, retain: false },
      { topic: `${prefix}/live`, payload: 'from-amqp-2', qos: 0, retain: false },
    ])
  },
)
