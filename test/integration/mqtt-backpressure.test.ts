// An MQTT subscriber behind more than the output's high-water mark (1 MiB): the queue stops handing it
// messages while the output is full and must be told when it is not any more, also when the socket took
// a whole write at once and no 'drain' came. 20 MiB to a QoS 0 subscriber used to stop part-way.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt from 'mqtt'
import { amqp, eventually, useBroker } from '../helpers/broker.js'

const b = useBroker()

test('a QoS 0 subscriber gets all of a 20 MiB flood (the output tells its queue when it has room)', async () => {
  const port = b.broker.mqttPort
  assert.ok(port !== undefined)
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: 'flooded',
    username: 'guest',
    password: 'guest',
  })
  let got = 0
  client.on('message', () => void got++)
  await new Promise((resolve) => client.once('connect', resolve))
  await client.subscribeAsync('flood/#', { qos: 0 })
  const conn = await amqp.connect(b.url)
  const ch = await conn.createConfirmChannel()
  const body = Buffer.alloc(4096, 0x78)
  for (let i = 0; i < 5000; i++) ch.publish('amq.topic', 'flood.x', body)
  await ch.waitForConfirms()
  await eventually(() => got >= 5000, 15_000)
  assert.equal(got, 5000)
  await client.endAsync()
  await conn.close()
})
