import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { GetMessage } from 'amqplib'
import { eventually, scratchVhost, seg, useManagement } from './helpers.js'

const m = useManagement()
const vh = scratchVhost(m, 'mgmt-msg')
const v = (): string => seg(vh.name)

async function publish(
  exchange: string,
  routingKey: string,
  payload: string,
  extra: Record<string, unknown> = {},
): Promise<unknown> {
  const r = await m.api('POST', `/api/exchanges/${v()}/${seg(exchange)}/publish`, {
    body: { properties: {}, routing_key: routingKey, payload, payload_encoding: 'string', ...extra },
  })
  assert.equal(r.status, 200, r.text)
  return r.json
}

async function get(queue: string, body: Record<string, unknown>): Promise<Array<Record<string, unknown>>> {
  const r = await m.api('POST', `/api/queues/${v()}/${queue}/get`, { body })
  assert.equal(r.status, 200, r.text)
  return r.json
}

describe('POST /api/exchanges/{vhost}/{name}/publish', () => {
  test('routed true through the default exchange, false when nothing matches', async () => {
    await m.api('PUT', `/api/queues/${v()}/pq`, { body: {} })
    assert.deepEqual(await publish('amq.default', 'pq', 'hello'), { routed: true })
    assert.deepEqual(await publish('amq.direct', 'nowhere', 'hello'), { routed: false })
  })

  test('properties and base64 payloads reach AMQP consumers intact', async () => {
    await m.api('PUT', `/api/queues/${v()}/pq2`, { body: {} })
    const properties = {
      delivery_mode: 2,
      priority: 5,
      content_type: 'text/plain',
      headers: { h: 1, s: 'x' },
      message_id: 'm1',
      correlation_id: 'c1',
      timestamp: 1700000000,
      app_id: 'tests',
    }
    await publish('amq.default', 'pq2', Buffer.from([0, 1, 2, 255]).toString('base64'), {
      properties,
      payload_encoding: 'base64',
    })
    const conn = await m.connect(vh.name)
    const ch = await conn.createChannel()
    let got: GetMessage | undefined
    await eventually(async () => {
      const r = await ch.get('pq2', { noAck: true })
      if (r) got = r
      return got !== undefined
    })
    assert.ok(got)
    assert.deepEqual([...got.content], [0, 1, 2, 255])
    assert.equal(got.properties.contentType, 'text/plain')
    assert.equal(got.properties.deliveryMode, 2)
    assert.equal(got.properties.priority, 5)
    assert.equal(got.properties.messageId, 'm1')
    assert.equal(got.properties.correlationId, 'c1')
    assert.equal(got.properties.timestamp, 1700000000)
    assert.deepEqual(got.properties.headers, { h: 1, s: 'x' })
    await conn.close()
  })

  test('errors: missing keys, unknown exchange, bad property, bad encoding', async () => {
    const path = `/api/exchanges/${v()}/amq.default/publish`
    const r1 = await m.api('POST', path, { body: { properties: {}, routing_key: 'x', payload: 'x' } })
    assert.deepEqual(r1.json, { error: 'bad_request', reason: '[{key_missing,payload_encoding}]' })
    const base = { properties: {}, routing_key: 'x', payload: 'x', payload_encoding: 'string' }
    const r2 = await m.api('POST', `/api/exchanges/${v()}/nope/publish`, { body: base })
    assert.deepEqual(r2.json, {
      error: 'bad_request',
      reason: `404 NOT_FOUND - no exchange 'nope' in vhost '${vh.name}'`,
    })
    const r3 = await m.api('POST', path, { body: { ...base, properties: { priority: 'high' } } })
    assert.deepEqual(r3.json, { error: 'bad_request', reason: ['not_int', 'priority'] })
    const r4 = await m.api('POST', path, { body: { ...base, payload_encoding: 'rot13' } })
    assert.deepEqual(r4.json, { error: 'bad_request', reason: ['unsupported_encoding', 'rot13'] })
  })

  test('the same property checks as basic.publish: "+5" is an expiration, "10s" is not', async () => {
    await m.api('PUT', `/api/queues/${v()}/pexp`, { body: {} })
    assert.deepEqual(await publish('amq.default', 'pexp', 'x', { properties: { expiration: '+5000' } }), {
      routed: true,
    })
    const r = await m.api('POST', `/api/exchanges/${v()}/amq.default/publish`, {
      body: {
        properties: { expiration: '10s' },
        routing_key: 'pexp',
        payload: 'x',
        payload_encoding: 'string',
      },
    })
    assert.equal(r.status, 400)
    assert.match(JSON.stringify(r.json), /invalid expiration '10s'/)
  })

  test('a publish through the API is traced like one over AMQP', async () => {
    assert.equal((await m.api('PUT', `/api/vhosts/${v()}`, { body: { tracing: true } })).status, 204)
    try {
      await m.api('PUT', `/api/queues/${v()}/traced`, { body: {} })
      await m.api('PUT', `/api/queues/${v()}/trace-sink`, { body: {} })
      const bind = { body: { routing_key: 'publish.#' } }
      assert.equal(
        (await m.api('POST', `/api/bindings/${v()}/e/amq.rabbitmq.trace/q/trace-sink`, bind)).status,
        201,
      )
      await publish('amq.default', 'traced', 'seen')
      const conn = await m.connect(vh.name)
      const ch = await conn.createChannel()
      let got: GetMessage | false = false
      await eventually(async () => (got = await ch.get('trace-sink', { noAck: true })) !== false)
      const trace = got as unknown as GetMessage
      assert.equal(trace.content.toString(), 'seen')
      assert.deepEqual(trace.properties.headers?.['routed_queues'], ['traced'])
    } finally {
      await m.api('PUT', `/api/vhosts/${v()}`, { body: { tracing: false } })
    }
  })
})

describe('POST /api/queues/{vhost}/{name}/get', () => {
  test('ack_requeue_true returns messages in order and leaves them, now redelivered', async () => {
    await m.api('PUT', `/api/queues/${v()}/gq`, { body: {} })
    await publish('amq.default', 'gq', 'one', {
      properties: { headers: { n: 1 }, content_type: 'text/plain' },
    })
    await publish('amq.default', 'gq', 'two')
    const got = await get('gq', { count: 5, ackmode: 'ack_requeue_true', encoding: 'auto' })
    assert.equal(got.length, 2)
    assert.deepEqual(got[0], {
      payload_bytes: 3,
      redelivered: false,
      exchange: '',
      routing_key: 'gq',
      message_count: 1,
      properties: { content_type: 'text/plain', headers: { n: 1 } },
      payload: 'one',
      payload_encoding: 'string',
    })
    assert.equal(got[1]?.['message_count'], 0)
    const again = await get('gq', { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' })
    assert.equal(again[0]?.['redelivered'], true)
    assert.equal(again[0]?.['payload'], 'one')
  })

  test('truncate cuts payloads to bytes; base64 and auto encodings', async () => {
    await m.api('PUT', `/api/queues/${v()}/gq2`, { body: {} })
    await publish('amq.default', 'gq2', 'héllo')
    await publish('amq.default', 'gq2', Buffer.from([0xff, 0xfe]).toString('base64'), {
      payload_encoding: 'base64',
    })
    const got = await get('gq2', { count: 2, ackmode: 'ack_requeue_true', encoding: 'auto', truncate: 3 })
    assert.deepEqual([got[0]?.['payload'], got[0]?.['payload_bytes']], ['hé', 6])
    assert.deepEqual([got[1]?.['payload'], got[1]?.['payload_encoding']], ['//4=', 'base64'])
    const b64 = await get('gq2', { count: 1, ackmode: 'ack_requeue_true', encoding: 'base64' })
    assert.deepEqual(
      [b64[0]?.['payload'], b64[0]?.['payload_encoding']],
      [Buffer.from('héllo').toString('base64'), 'base64'],
    )
  })

  test('ack_requeue_false consumes; reject_requeue_false dead-letters', async () => {
    await m.api('PUT', `/api/queues/${v()}/dlq`, { body: {} })
    await m.api('PUT', `/api/queues/${v()}/gq3`, {
      body: { arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' } },
    })
    for (const p of ['a', 'b', 'c']) await publish('amq.default', 'gq3', p)
    assert.equal(
      (await get('gq3', { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' }))[0]?.['payload'],
      'a',
    )
    assert.equal(
      (await get('gq3', { count: 1, ackmode: 'reject_requeue_false', encoding: 'auto' }))[0]?.['payload'],
      'b',
    )
    assert.equal(
      (await get('gq3', { count: 1, ackmode: 'reject_requeue_true', encoding: 'auto' }))[0]?.['payload'],
      'c',
    )
    await eventually(async () => (await m.api('GET', `/api/queues/${v()}/gq3`)).json.messages === 1)
    const dead = await get('dlq', { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' })
    assert.equal(dead[0]?.['payload'], 'b')
  })

  test('errors: missing encoding, unsupported encoding, unknown queue', async () => {
    await m.api('PUT', `/api/queues/${v()}/gq4`, { body: {} })
    const r1 = await m.api('POST', `/api/queues/${v()}/gq4/get`, {
      body: { count: 1, ackmode: 'ack_requeue_true' },
    })
    assert.deepEqual(r1.json, { error: 'bad_request', reason: '[{key_missing,encoding}]' })
    const r2 = await m.api('POST', `/api/queues/${v()}/gq4/get`, {
      body: { count: 1, ackmode: 'ack_requeue_true', encoding: 'x' },
    })
    assert.deepEqual(r2.json, {
      error: 'bad_request',
      reason: 'Unsupported encoding. Please use auto or base64.',
    })
    const r3 = await m.api('POST', `/api/queues/${v()}/nope/get`, {
      body: { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' },
    })
    assert.deepEqual(
      [r3.status, r3.json],
      [404, { error: 'not_found', reason: `NOT_FOUND - no queue 'nope' in vhost '${vh.name}'` }],
    )
  })
})
