// MQTT and STOMP messages in Prometheus' rabbitmq_global_* counters. RabbitMQ 3.10.8 counts them among
// protocol="amqp091"'s (its plugins use internal AMQP channels; checked against the reference node: the
// same traffic gave the amqp091 totals asserted below); Warren counts them apart, MQTT by version as
// RabbitMQ 3.12+ does (mqtt310, mqtt311, mqtt50) and STOMP as "stomp", and leaves them out of amqp091's,
// so that the sum over protocols is RabbitMQ 3.10's amqp091 figure.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import type { Client, IMessage } from '@stomp/stompjs'
import { eventually, useBroker } from '../helpers/broker.js'
import { stompClient } from '../helpers/stomp.js'

const b = useBroker({ httpPort: 0 })

async function metrics(): Promise<Map<string, number>> {
  const text = await (await fetch(`${b.broker.httpUrl}metrics`)).text()
  const m = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line.startsWith('rabbitmq_global_')) continue
    const at = line.lastIndexOf(' ')
    m.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return m
}

const CQ = 'queue_type="rabbit_classic_queue"'
const sample = (m: Map<string, number>, name: string, labels: string): number | undefined =>
  m.get(`rabbitmq_global_${name}{${labels}}`)

async function mqttTraffic(port: number): Promise<{ sub: MqttClient; pub: MqttClient }> {
  const o = { username: 'guest', password: 'guest', reconnectPeriod: 0 }
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { ...o, clientId: 'pm-sub' })
  let got = 0
  sub.on('message', () => void got++)
  await sub.subscribeAsync('pm/a', { qos: 1 })
  const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { ...o, clientId: 'pm-pub' })
  for (let i = 0; i < 3; i++) await pub.publishAsync('pm/a', `q1-${i}`, { qos: 1 })
  for (let i = 0; i < 2; i++) await pub.publishAsync('pm/a', `q0-${i}`, { qos: 0 })
  await pub.publishAsync('nowhere/x', 'x', { qos: 1 })
  await eventually(() => got === 5, 5000)
  return { sub, pub }
}

async function stompTraffic(port: number): Promise<Client> {
  const c = await stompClient(port)
  const manual: IMessage[] = []
  let auto = 0
  c.subscribe('/queue/pm-q1', (m) => manual.push(m), { ack: 'client-individual' })
  c.subscribe('/queue/pm-q2', () => void auto++)
  for (let i = 0; i < 4; i++) c.publish({ destination: '/queue/pm-q1', body: `s${i}` })
  for (let i = 0; i < 2; i++) c.publish({ destination: '/queue/pm-q2', body: `a${i}` })
  c.publish({ destination: '/exchange/amq.direct/nokey', body: 'lost' })
  await eventually(() => manual.length === 4 && auto === 2, 5000)
  for (const m of manual) m.ack()
  return c
}

test('MQTT and STOMP are counted apart from AMQP 0-9-1, and their sum is RabbitMQ 3.10.8 amqp091 figure', async () => {
  const before = await metrics()
  for (const p of ['mqtt310', 'mqtt311', 'mqtt50', 'stomp'])
    assert.equal(sample(before, 'messages_received_total', `protocol="${p}"`), 0, p)
  const { sub, pub } = await mqttTraffic(b.broker.mqttPort ?? 0)
  const stomp = await stompTraffic(b.broker.stompPort ?? 0)
  const M = 'protocol="mqtt311"'
  const S = 'protocol="stomp"'
  const A = 'protocol="amqp091"'
  // [metric, labels after the protocol, MQTT, STOMP, RabbitMQ 3.10.8's amqp091 for the same traffic]
  const expected: Array<[string, string, number, number, number]> = [
    ['messages_received_total', '', 6, 7, 13],
    ['messages_received_confirm_total', '', 4, 7, 11],
    ['messages_confirmed_total', '', 4, 7, 11],
    ['messages_routed_total', '', 5, 6, 11],
    ['messages_unroutable_dropped_total', '', 1, 1, 2],
    ['messages_delivered_total', CQ, 5, 6, 11],
    ['messages_delivered_consume_manual_ack_total', CQ, 5, 4, 9],
    ['messages_delivered_consume_auto_ack_total', CQ, 0, 2, 2],
    ['messages_acknowledged_total', CQ, 5, 4, 9],
  ]
  await eventually(() => b.broker.broker.protocolCounters.some((pc) => pc.acknowledged === 4), 5000)
  const m = await metrics()
  for (const [name, rest, mq, st, total] of expected) {
    const tail = rest === '' ? '' : `,${rest}`
    assert.equal(sample(m, name, M + tail), mq, `${name} mqtt311`)
    assert.equal(sample(m, name, S + tail), st, `${name} stomp`)
    assert.equal(sample(m, name, A + tail), 0, `${name} amqp091`)
    assert.equal(mq + st, total)
  }
  assert.equal(sample(m, 'messages_received_total', 'protocol="mqtt50"'), 0)
  assert.equal(sample(m, 'publishers', M), 1)
  assert.equal(sample(m, 'consumers', M), 1)
  assert.equal(sample(m, 'publishers', S), 1)
  assert.equal(sample(m, 'consumers', S), 2)
  assert.equal(sample(m, 'consumers', A), 0)
  await stomp.deactivate()
  await sub.endAsync()
  await pub.endAsync()
  const after = await metrics()
  assert.equal(sample(after, 'consumers', M), 0)
  assert.equal(sample(after, 'consumers', S), 0)
  assert.equal(sample(after, 'messages_received_total', M), 6, 'counters outlive their connections')
})
