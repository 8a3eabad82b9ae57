// MQTT and STOMP clients on the same broker, both through amq.topic as RabbitMQ maps them: an MQTT
// publish on a/b/c is routing key a.b.c, which a STOMP /topic/a.*.c subscription reads, and the other
// way round. The headers a STOMP subscriber sees are those RabbitMQ 3.10.8 gives for the same publishes
// (checked against the reference: persistent "true" for QoS 1, "1" for QoS 0, and no x-mqtt-* headers,
// which are a byte and a boolean).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IMessage } from '@stomp/stompjs'
import mqtt from 'mqtt'
import { eventually, useBroker } from '../helpers/broker.js'
import { stompClient } from '../helpers/stomp.js'

const b = useBroker()

async function mqttClient(): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${b.broker.mqttPort ?? 0}`, {
    username: 'guest',
    password: 'guest',
    reconnectPeriod: 0,
  })
}

test('MQTT publishes reach a STOMP /topic subscriber with the headers RabbitMQ gives', async () => {
  const s = await stompClient(b.broker.stompPort ?? 0)
  const got: IMessage[] = []
  const subscribed = new Promise<void>((resolve) => s.watchForReceipt('sub', () => resolve()))
  s.subscribe('/topic/sensors.*.temp', (m) => got.push(m), { receipt: 'sub' })
  await subscribed
  const m = await mqttClient()
  await m.publishAsync('sensors/kitchen/temp', '21.5', { qos: 1 })
  await m.publishAsync('sensors/kitchen/temp', 'q0', { qos: 0 })
  await m.publishAsync('sensors/kitchen/humidity', 'not matched', { qos: 1 })
  await eventually(() => got.length === 2)
  const [first, second] = got
  assert.equal(first?.body, '21.5')
  assert.equal(first?.headers['destination'], '/topic/sensors.kitchen.temp')
  assert.equal(first?.headers['persistent'], 'true')
  assert.equal(first?.headers['x-mqtt-publish-qos'], undefined)
  assert.equal(first?.headers['x-mqtt-dup'], undefined)
  assert.equal(second?.body, 'q0')
  assert.equal(second?.headers['persistent'], '1', 'QoS 0 is delivery mode 1, written as its number')
  await m.endAsync()
  await s.deactivate()
})

test('a STOMP SEND to /topic reaches an MQTT subscriber on the swapped topic', async () => {
  const m = await mqttClient()
  const got: { topic: string; payload: string }[] = []
  m.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }))
  await m.subscribeAsync('alerts/+/fire', { qos: 1 })
  const s = await stompClient(b.broker.stompPort ?? 0)
  s.publish({ destination: '/topic/alerts.hall.fire', body: 'evacuate', headers: { level: 'high' } })
  s.publish({ destination: '/topic/alerts.hall.smoke', body: 'not matched' })
  await eventually(() => got.length === 1)
  assert.deepEqual(got, [{ topic: 'alerts/hall/fire', payload: 'evacuate' }])
  await s.deactivate()
  await m.endAsync()
})
