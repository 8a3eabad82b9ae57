// Warren's look into a stream from the HTTP API (POST /api/queues/{vhost}/{name}/read; RabbitMQ refuses
// its get on streams): messages from any x-stream-offset value with their offsets and chunk times,
// nothing removed; a bad offset and a queue that is not a stream are 400s.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import amqp from 'amqplib'
import { useBroker } from '../helpers/broker.js'

const b = useBroker()
const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64')

async function read(queue: string, body: Record<string, unknown>) {
  const res = await fetch(`${b.broker.httpUrl}api/queues/%2F/${queue}/read`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as unknown }
}

type Read = { offset: number; timestamp: string; routing_key: string; payload: string; properties: object }

test('a stream is read from an offset, a time or an interval, and keeps every message', async () => {
  const conn = await amqp.connect(b.url)
  const ch = await conn.createConfirmChannel()
  await ch.assertQueue('events', { durable: true, arguments: { 'x-queue-type': 'stream' } })
  const before = Date.now()
  for (let i = 0; i < 5; i++) ch.sendToQueue('events', Buffer.from(`e${i}`), { messageId: `id${i}` })
  await ch.waitForConfirms()

  const first = await read('events', { offset: 'first', count: 3 })
  assert.equal(first.status, 200)
  const items = first.json as Read[]
  assert.deepEqual(
    items.map((m) => [m.offset, m.payload, m.routing_key]),
    [
      [0, 'e0', 'events'],
      [1, 'e1', 'events'],
      [2, 'e2', 'events'],
    ],
  )
  assert.equal((items[0]?.properties as { message_id?: string }).message_id, 'id0')
  assert.ok(Date.parse(items[0]?.timestamp ?? '') >= before - 1000)
  const from3 = (await read('events', { offset: 3, count: 100 })).json as Read[]
  assert.deepEqual(
    from3.map((m) => m.offset),
    [3, 4],
  )
  assert.deepEqual((await read('events', { offset: 'next' })).json, [])
  const byTime = (await read('events', { offset: new Date(before - 60_000).toISOString() })).json as Read[]
  assert.equal(byTime.length, 5)
  const byInterval = (await read('events', { offset: '1h' })).json as Read[]
  assert.equal(byInterval.length, 5)
  // Reading took nothing: the stream still has every message.
  assert.equal((await ch.checkQueue('events')).messageCount, 5)
  await conn.close()
})

test('a bad offset, a bad count and a queue that is not a stream are refused with 400', async () => {
  const conn = await amqp.connect(b.url)
  const ch = await conn.createChannel()
  await ch.assertQueue('plain', { durable: true })
  await ch.assertQueue('s2', { durable: true, arguments: { 'x-queue-type': 'stream' } })
  const bad = await read('s2', { offset: 'yesterday' })
  assert.equal(bad.status, 400)
  assert.match(JSON.stringify(bad.json), /invalid arg 'x-stream-offset'/)
  assert.equal((await read('s2', { count: 0 })).status, 400)
  const plain = await read('plain', {})
  assert.equal(plain.status, 400)
  assert.match(JSON.stringify(plain.json), /is not a stream/)
  assert.equal((await read('missing', {})).status, 404)
  await conn.close()
})
