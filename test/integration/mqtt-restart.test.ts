// What MQTT keeps across a restart, as RabbitMQ does: retained messages (the MQTT front end's own file
// per vhost) and a persistent session's QoS 1 queue with the messages that waited in it.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import mqtt, { type IClientOptions } from 'mqtt'
import { startBroker } from '../../src/index.js'
import { eventually } from '../helpers/broker.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-mqtt-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const opts: IClientOptions = { username: 'guest', password: 'guest', reconnectPeriod: 0 }

test('retained messages and a persistent session survive a restart', async () => {
  const start = () => startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent', dataDir: dir })
  let broker = await start()
  let url = `mqtt://127.0.0.1:${broker.mqttPort ?? 0}`
  const sub = await mqtt.connectAsync(url, { ...opts, clientId: 'durable-sub', clean: false })
  await sub.subscribeAsync('plant/#', { qos: 1 })
  await sub.endAsync()
  const pub = await mqtt.connectAsync(url, opts)
  await pub.publishAsync('plant/state', 'running', { qos: 1, retain: true })
  await pub.publishAsync('plant/alarm', 'none', { qos: 1 })
  await pub.endAsync()
  await broker.close()

  broker = await start()
  try {
    url = `mqtt://127.0.0.1:${broker.mqttPort ?? 0}`
    const back = mqtt.connect(url, { ...opts, clientId: 'durable-sub', clean: false })
    const queued: string[] = []
    back.on('message', (topic, payload) => queued.push(`${topic}=${payload.toString()}`))
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => back.once('connect', resolve))
    assert.equal(connack.sessionPresent, true)
    await eventually(() => queued.length === 2)
    assert.deepEqual(queued, ['plant/state=running', 'plant/alarm=none'])
    await back.endAsync()

    const late = await mqtt.connectAsync(url, opts)
    const retained: Array<[string, boolean]> = []
    late.on('message', (topic, payload, p) => retained.push([`${topic}=${payload.toString()}`, p.retain]))
    await late.subscribeAsync('plant/+', { qos: 1 })
    await eventually(() => retained.length === 1)
    assert.deepEqual(retained, [['plant/state=running', true]])
    await late.endAsync()
  } finally {
    await broker.close()
  }
})

test('an MQTT 5 persistent session keeps its subscription identifiers and No Local across a restart', async () => {
  const start = () => startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent', dataDir: dir })
  const v5 = { ...opts, protocolVersion: 5 as const, clientId: 'v5-durable', clean: false }
  const session = { properties: { sessionExpiryInterval: 3600 } }
  let broker = await start()
  let url = `mqtt://127.0.0.1:${broker.mqttPort ?? 0}`
  const sub = await mqtt.connectAsync(url, { ...v5, ...session })
  await sub.subscribeAsync('meter/#', { qos: 1, properties: { subscriptionIdentifier: 7 } })
  await sub.subscribeAsync('meter/+/kwh', { qos: 1, properties: { subscriptionIdentifier: 8 } })
  await sub.subscribeAsync('echo/#', { qos: 1, nl: true })
  await sub.endAsync()
  await broker.close()

  broker = await start()
  try {
    url = `mqtt://127.0.0.1:${broker.mqttPort ?? 0}`
    const back = mqtt.connect(url, { ...v5, ...session })
    const got: string[] = []
    back.on('message', (topic, _payload, p) =>
      got.push(`${topic}:${[p.properties?.subscriptionIdentifier ?? []].flat().sort().join(',')}`),
    )
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => back.once('connect', resolve))
    assert.equal(connack.sessionPresent, true)
    await back.publishAsync('echo/x', 'mine', { qos: 1 })
    const pub = await mqtt.connectAsync(url, { ...opts, protocolVersion: 5 })
    await pub.publishAsync('meter/m1/kwh', '1', { qos: 1 })
    await pub.publishAsync('meter/m1/volt', '2', { qos: 1 })
    await pub.publishAsync('echo/y', 'theirs', { qos: 1 })
    await eventually(() => got.length === 3)
    await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(got, ['meter/m1/kwh:7,8', 'meter/m1/volt:7', 'echo/y:'])
    await Promise.all([back.endAsync(), pub.endAsync()])
  } finally {
    await broker.close()
  }
})
