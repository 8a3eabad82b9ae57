import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { eventually, scratchVhost, seg, useManagement } from './helpers.js'

const m = useManagement()
const vh = scratchVhost(m, 'mgmt-eq')
const v = (): string => seg(vh.name)

describe('/api/exchanges', () => {
  test('PUT declares (201), redeclares (204), GET shows it, DELETE removes it', async () => {
    const body = { type: 'topic', durable: true, auto_delete: false, internal: false, arguments: { a: 1 } }
    assert.equal((await m.api('PUT', `/api/exchanges/${v()}/ex1`, { body })).status, 201)
    assert.equal((await m.api('PUT', `/api/exchanges/${v()}/ex1`, { body })).status, 204)
    const ex = (await m.api('GET', `/api/exchanges/${v()}/ex1`)).json
    assert.deepEqual(
      {
        name: ex.name,
        vhost: ex.vhost,
        type: ex.type,
        durable: ex.durable,
        auto_delete: ex.auto_delete,
        internal: ex.internal,
      },
      { name: 'ex1', vhost: vh.name, type: 'topic', durable: true, auto_delete: false, internal: false },
    )
    assert.deepEqual(ex.arguments, { a: 1 })
    assert.deepEqual([ex.incoming, ex.outgoing], [[], []])
    const list = (await m.api('GET', `/api/exchanges/${v()}`)).json as Array<{ name: string }>
    const names = list.map((e) => e.name)
    for (const n of ['', 'amq.direct', 'amq.fanout', 'amq.headers', 'amq.match', 'amq.topic', 'ex1']) {
      assert.ok(names.includes(n), n)
    }
    assert.deepEqual(names, [...names].sort())
    assert.equal((await m.api('DELETE', `/api/exchanges/${v()}/ex1`)).status, 204)
    assert.equal((await m.api('GET', `/api/exchanges/${v()}/ex1`)).status, 404)
    assert.equal((await m.api('DELETE', `/api/exchanges/${v()}/ex1`)).status, 404)
  })

  test('PUT defaults: a non-durable direct exchange', async () => {
    assert.equal((await m.api('PUT', `/api/exchanges/${v()}/ex-default`, { body: {} })).status, 201)
    const ex = (await m.api('GET', `/api/exchanges/${v()}/ex-default`)).json
    assert.equal(ex.type, 'direct')
    assert.equal(ex.durable, false)
  })

  test('the default exchange is amq.default in URLs and "" in bodies', async () => {
    const ex = (await m.api('GET', `/api/exchanges/${v()}/amq.default`)).json
    assert.equal(ex.name, '')
    assert.equal(ex.type, 'direct')
  })

  test('PUT errors: inequivalent, unknown type, reserved name, unknown vhost, bad JSON', async () => {
    await m.api('PUT', `/api/exchanges/${v()}/ex2`, { body: { type: 'direct', durable: true } })
    const r1 = await m.api('PUT', `/api/exchanges/${v()}/ex2`, { body: { type: 'fanout', durable: true } })
    assert.deepEqual(r1.json, {
      error: 'bad_request',
      reason: `inequivalent arg 'type' for exchange 'ex2' in vhost '${vh.name}': received 'fanout' but current is 'direct'`,
    })
    const r2 = await m.api('PUT', `/api/exchanges/${v()}/ex3`, { body: { type: 'bogus' } })
    // A fresh RabbitMQ says "unknown"; once the name exists as an Erlang atom it says "invalid".
    const typeWord = m.external ? /^(unknown|invalid)$/ : /^unknown$/
    assert.equal(r2.json.error, 'bad_request')
    assert.match(String(r2.json.reason).replace(/ exchange type 'bogus'$/, ''), typeWord)
    const r3 = await m.api('PUT', `/api/exchanges/${v()}/amq.mine`, { body: {} })
    assert.deepEqual([r3.status, r3.json], [401, { error: 'not_authorised', reason: 'Access refused.' }])
    const r4 = await m.api('PUT', '/api/exchanges/no-such-vhost/ex', { body: {} })
    assert.deepEqual([r4.status, r4.json], [404, { error: 'not_found', reason: 'vhost_not_found' }])
    const r5 = await m.api('PUT', `/api/exchanges/${v()}/ex4`, { body: '{bad' })
    assert.deepEqual([r5.status, r5.json], [400, { error: 'bad_request', reason: 'not_json' }])
  })

  test('DELETE errors: if-unused on a bound exchange, built-in exchanges', async () => {
    await m.api('PUT', `/api/exchanges/${v()}/ex-used`, { body: {} })
    await m.api('PUT', `/api/queues/${v()}/q-used`, { body: {} })
    await m.api('POST', `/api/bindings/${v()}/e/ex-used/q/q-used`, { body: { routing_key: 'k' } })
    const r1 = await m.api('DELETE', `/api/exchanges/${v()}/ex-used?if-unused=true`)
    assert.deepEqual(r1.json, {
      error: 'bad_request',
      reason: `exchange 'ex-used' in vhost '${vh.name}' in use`,
    })
    const r2 = await m.api('DELETE', `/api/exchanges/${v()}/amq.direct`)
    assert.deepEqual([r2.status, r2.json], [401, { error: 'not_authorised', reason: 'Access refused.' }])
  })

  test('message_stats count publish_in and publish_out', async () => {
    await m.api('PUT', `/api/exchanges/${v()}/ex-stats`, { body: { type: 'fanout' } })
    await m.api('PUT', `/api/queues/${v()}/q-stats`, { body: {} })
    await m.api('POST', `/api/bindings/${v()}/e/ex-stats/q/q-stats`, { body: {} })
    const conn = await m.connect(vh.name)
    const ch = await conn.createConfirmChannel()
    for (let i = 0; i < 3; i++) ch.publish('ex-stats', '', Buffer.from('x'))
    await ch.waitForConfirms()
    await eventually(async () => {
      const stats = (await m.api('GET', `/api/exchanges/${v()}/ex-stats`)).json.message_stats
      return stats?.publish_in === 3 && stats?.publish_out === 3 // RabbitMQ updates them separately
    })
    const s = (await m.api('GET', `/api/exchanges/${v()}/ex-stats`)).json.message_stats
    assert.equal(s.publish_out, 3)
    assert.equal(typeof s.publish_in_details.rate, 'number')
    await conn.close()
  })
})

describe('/api/queues', () => {
  test('PUT declares (201), redeclares (204), GET has RabbitMQ fields, DELETE removes it', async () => {
    const body = { durable: true, auto_delete: false, arguments: { 'x-max-length': 10 } }
    assert.equal((await m.api('PUT', `/api/queues/${v()}/q1`, { body })).status, 201)
    assert.equal((await m.api('PUT', `/api/queues/${v()}/q1`, { body })).status, 204)
    // RabbitMQ adds the statistics fields a few seconds after the declare
    await eventually(
      async () => typeof (await m.api('GET', `/api/queues/${v()}/q1`)).json.memory === 'number',
    )
    const q = (await m.api('GET', `/api/queues/${v()}/q1`)).json
    assert.equal(q.name, 'q1')
    assert.equal(q.vhost, vh.name)
    assert.equal(q.durable, true)
    assert.equal(q.exclusive, false)
    assert.deepEqual(q.arguments, { 'x-max-length': 10 })
    assert.equal(q.type, 'classic')
    assert.equal(q.state, 'running')
    for (const k of [
      'messages',
      'messages_ready',
      'messages_unacknowledged',
      'consumers',
      'memory',
      'message_bytes',
    ]) {
      assert.equal(typeof q[k], 'number', k)
    }
    assert.deepEqual(q.consumer_details, [])
    assert.equal((await m.api('DELETE', `/api/queues/${v()}/q1`)).status, 204)
    assert.equal((await m.api('GET', `/api/queues/${v()}/q1`)).status, 404)
    assert.equal((await m.api('DELETE', `/api/queues/${v()}/q1`)).status, 404)
  })

  test('PUT errors: inequivalent, invalid argument, reserved name', async () => {
    await m.api('PUT', `/api/queues/${v()}/q2`, { body: { durable: true } })
    const r1 = await m.api('PUT', `/api/queues/${v()}/q2`, { body: { durable: false } })
    assert.deepEqual(r1.json, {
      error: 'bad_request',
      reason: `inequivalent arg 'durable' for queue 'q2' in vhost '${vh.name}': received 'false' but current is 'true'`,
    })
    const r2 = await m.api('PUT', `/api/queues/${v()}/q3`, { body: { arguments: { 'x-max-length': 'abc' } } })
    assert.equal(r2.status, 400)
    assert.match(r2.json.reason, /^invalid arg 'x-max-length' for queue 'q3'/)
    const r3 = await m.api('PUT', `/api/queues/${v()}/amq.q`, { body: {} })
    assert.deepEqual([r3.status, r3.json], [401, { error: 'not_authorised', reason: 'Access refused.' }])
  })

  test('counts, consumers and message_stats follow AMQP traffic', async () => {
    await m.api('PUT', `/api/queues/${v()}/q-traffic`, { body: {} })
    const conn = await m.connect(vh.name)
    const ch = await conn.createConfirmChannel()
    for (let i = 0; i < 5; i++) ch.sendToQueue('q-traffic', Buffer.from('hello'))
    await ch.waitForConfirms()
    await ch.prefetch(2)
    await ch.consume('q-traffic', () => {}, { consumerTag: 'ctag-1', arguments: { 'x-priority': 3 } })
    const path = `/api/queues/${v()}/q-traffic`
    await eventually(async () => {
      const q = (await m.api('GET', path)).json
      return q.messages_unacknowledged === 2 && q.consumers === 1 && q.message_stats?.deliver === 2
    })
    const q = (await m.api('GET', path)).json
    assert.equal(q.messages, 5)
    assert.equal(q.messages_ready, 3)
    assert.equal(q.message_stats.publish, 5)
    assert.equal(q.message_bytes, 25)
    assert.equal(q.message_bytes_unacknowledged, 10)
    const consumer = q.consumer_details[0]
    assert.equal(consumer.consumer_tag, 'ctag-1')
    assert.equal(consumer.prefetch_count, 2)
    assert.equal(consumer.ack_required, true)
    assert.deepEqual(consumer.arguments, { 'x-priority': 3 })
    assert.deepEqual(consumer.queue, { name: 'q-traffic', vhost: vh.name })
    const del = await m.api('DELETE', `${path}?if-unused=true`)
    assert.deepEqual(del.json, {
      error: 'bad_request',
      reason: `queue 'q-traffic' in vhost '${vh.name}' in use`,
    })
    await conn.close()
    const empty = await m.api('DELETE', `${path}?if-empty=true`)
    assert.deepEqual(empty.json, {
      error: 'bad_request',
      reason: `queue 'q-traffic' in vhost '${vh.name}' not empty`,
    })
  })

  test('exclusive queues show their owner connection, and are transient even when declared durable', async () => {
    const conn = await m.connect(vh.name, { connection_name: 'owner' })
    const ch = await conn.createChannel()
    // amqplib declares durable=true unless told otherwise; RabbitMQ makes an exclusive queue transient.
    const { queue } = await ch.assertQueue('', { exclusive: true, durable: true })
    const path = `/api/queues/${v()}/${seg(queue)}`
    await eventually(async () => (await m.api('GET', path)).json.owner_pid_details?.name !== undefined)
    const q = (await m.api('GET', path)).json
    assert.equal(q.exclusive, true)
    assert.equal(q.durable, false)
    assert.equal(typeof q.owner_pid_details.peer_port, 'number')
    assert.match(q.owner_pid_details.name, / -> /)
    await conn.close()
  })

  test('DELETE .../contents purges ready messages', async () => {
    await m.api('PUT', `/api/queues/${v()}/q-purge`, { body: {} })
    for (let i = 0; i < 3; i++) {
      await m.api('POST', `/api/exchanges/${v()}/amq.default/publish`, {
        body: { properties: {}, routing_key: 'q-purge', payload: 'x', payload_encoding: 'string' },
      })
    }
    assert.equal((await m.api('DELETE', `/api/queues/${v()}/q-purge/contents`)).status, 204)
    await eventually(async () => (await m.api('GET', `/api/queues/${v()}/q-purge`)).json.messages === 0)
    assert.equal((await m.api('DELETE', `/api/queues/${v()}/no-such/contents`)).status, 404)
  })

  test('lists: all queues, one vhost, and the queue bindings', async () => {
    await m.api('PUT', `/api/queues/${v()}/q-list`, { body: {} })
    const all = (await m.api('GET', '/api/queues')).json as Array<{ name: string; vhost: string }>
    assert.ok(all.some((q) => q.name === 'q-list' && q.vhost === vh.name))
    const mine = (await m.api('GET', `/api/queues/${v()}`)).json as Array<{ vhost: string }>
    assert.ok(mine.every((q) => q.vhost === vh.name))
    const b = (await m.api('GET', `/api/queues/${v()}/q-list/bindings`)).json
    assert.deepEqual(b, [
      {
        source: '',
        vhost: vh.name,
        destination: 'q-list',
        destination_type: 'queue',
        routing_key: 'q-list',
        arguments: {},
        properties_key: 'q-list',
      },
    ])
    assert.equal((await m.api('GET', '/api/queues/no-such-vhost')).status, 404)
  })
})
