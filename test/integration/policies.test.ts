// Policies and operator policies through the management API, applied live to queues and exchanges,
// with RabbitMQ's precedence: the smallest limit or TTL wins; for other keys the queue argument wins.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { amqp, eventually, useBroker } from '../helpers/broker.js'

const ctx = useBroker()
const auth = {
  authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
  'content-type': 'application/json',
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(new URL(path, ctx.broker.httpUrl), {
    method,
    headers: auth,
    body: body === undefined ? null : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined }
}

async function ready(ch: amqp.Channel, q: string): Promise<number> {
  return (await ch.checkQueue(q)).messageCount
}

describe('policies', () => {
  test('a max-length policy applies to matching queues at once and to new ones; clearing it lifts the limit', async () => {
    const conn = await amqp.connect(ctx.url)
    const ch = await conn.createChannel()
    await ch.assertQueue('pol.a', { exclusive: true })
    await ch.assertQueue('other.a', { exclusive: true })
    for (let i = 0; i < 5; i++)
      for (const q of ['pol.a', 'other.a']) ch.sendToQueue(q, Buffer.from(String(i)))
    await eventually(() => true)
    assert.equal(
      (
        await api('PUT', '/api/policies/%2F/limit', {
          pattern: '^pol\\.',
          definition: { 'max-length': 2 },
          'apply-to': 'queues',
        })
      ).status,
      201,
    )
    assert.equal(await ready(ch, 'pol.a'), 2)
    assert.equal(await ready(ch, 'other.a'), 5)
    const got = await ch.get('pol.a', { noAck: true })
    assert.equal(got && got.content.toString(), '3', 'drop-head kept the newest')
    await ch.assertQueue('pol.b', { exclusive: true })
    for (let i = 0; i < 4; i++) ch.sendToQueue('pol.b', Buffer.from(String(i)))
    assert.equal(await ready(ch, 'pol.b'), 2)
    const listed = (await api('GET', '/api/policies/%2F')).json as Array<Record<string, unknown>>
    assert.deepEqual(listed, [
      {
        vhost: '/',
        name: 'limit',
        pattern: '^pol\\.',
        'apply-to': 'queues',
        definition: { 'max-length': 2 },
        priority: 0,
      },
    ])
    assert.equal((await api('DELETE', '/api/policies/%2F/limit')).status, 204)
    for (let i = 0; i < 4; i++) ch.sendToQueue('pol.b', Buffer.from(String(i)))
    assert.equal(await ready(ch, 'pol.b'), 6)
    await conn.close()
  })

  test('the smaller of an argument and a policy limit wins; for the dead-letter exchange the argument wins', async () => {
    const conn = await amqp.connect(ctx.url)
    const ch = await conn.createChannel()
    await ch.assertExchange('pol.dlx-arg', 'fanout', { autoDelete: false })
    await ch.assertExchange('pol.dlx-pol', 'fanout', { autoDelete: false })
    const dead = (await ch.assertQueue('', { exclusive: true })).queue
    await ch.bindQueue(dead, 'pol.dlx-arg', '')
    await api('PUT', '/api/policies/%2F/mixed', {
      pattern: '^mix\\.',
      definition: { 'max-length': 10, 'dead-letter-exchange': 'pol.dlx-pol' },
    })
    await ch.assertQueue('mix.q', {
      exclusive: true,
      arguments: { 'x-max-length': 3, 'x-dead-letter-exchange': 'pol.dlx-arg' },
    })
    for (let i = 0; i < 5; i++) ch.sendToQueue('mix.q', Buffer.from(String(i)))
    assert.equal(await ready(ch, 'mix.q'), 3)
    assert.equal(await ready(ch, dead), 2, "overflow dead-lettered through the argument's exchange")
    await api('DELETE', '/api/policies/%2F/mixed')
    await conn.close()
  })

  test('the highest-priority matching policy applies; an operator policy caps a message TTL', async () => {
    const conn = await amqp.connect(ctx.url)
    const ch = await conn.createChannel()
    await api('PUT', '/api/policies/%2F/low', {
      pattern: '^prio\\.',
      definition: { 'max-length': 1 },
      priority: 1,
    })
    await api('PUT', '/api/policies/%2F/high', {
      pattern: '^prio\\.',
      definition: { 'max-length': 4 },
      priority: 5,
    })
    await ch.assertQueue('prio.q', { exclusive: true })
    for (let i = 0; i < 6; i++) ch.sendToQueue('prio.q', Buffer.from('x'))
    assert.equal(await ready(ch, 'prio.q'), 4)
    assert.equal(
      (
        await api('PUT', '/api/operator-policies/%2F/cap', {
          pattern: '^prio\\.',
          definition: { 'message-ttl': 1 },
          'apply-to': 'queues',
        })
      ).status,
      201,
    )
    ch.sendToQueue('prio.q', Buffer.from('short-lived'))
    await new Promise((r) => setTimeout(r, 60))
    assert.equal(await ready(ch, 'prio.q'), 4, 'the new message expired under the operator policy')
    for (const p of ['/api/policies/%2F/low', '/api/policies/%2F/high', '/api/operator-policies/%2F/cap'])
      await api('DELETE', p)
    await conn.close()
  })

  test('an alternate-exchange policy catches unroutable messages of matching exchanges', async () => {
    const conn = await amqp.connect(ctx.url)
    const ch = await conn.createChannel()
    await ch.assertExchange('pol.ae', 'fanout', { autoDelete: false })
    const caught = (await ch.assertQueue('', { exclusive: true })).queue
    await ch.bindQueue(caught, 'pol.ae', '')
    await ch.assertExchange('pol.main', 'direct', { autoDelete: false })
    await api('PUT', '/api/policies/%2F/ae', {
      pattern: '^pol\\.main$',
      definition: { 'alternate-exchange': 'pol.ae' },
      'apply-to': 'exchanges',
    })
    ch.publish('pol.main', 'nowhere', Buffer.from('lost?'))
    await eventually(() => true)
    assert.equal(await ready(ch, caught), 1)
    await api('DELETE', '/api/policies/%2F/ae')
    await conn.close()
  })

  test('invalid policies are refused with 400 and RabbitMQ-style reasons', async () => {
    const bad = await api('PUT', '/api/policies/%2F/bad', { pattern: '.*', definition: { 'no-such-key': 1 } })
    assert.equal(bad.status, 400)
    assert.match(JSON.stringify(bad.json), /are not recognised policy settings/)
    const missing = await api('PUT', '/api/policies/%2F/bad', { definition: { 'max-length': 1 } })
    assert.equal(missing.status, 400)
    assert.equal((await api('DELETE', '/api/policies/%2F/never-set')).status, 404)
  })
})
