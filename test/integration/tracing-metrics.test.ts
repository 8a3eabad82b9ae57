// The firehose tracer and the Prometheus endpoint.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { amqp, eventually, useBroker } from '../helpers/broker.js'

const ctx = useBroker()
const headers = {
  authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
  'content-type': 'application/json',
}

async function setTracing(on: boolean): Promise<void> {
  const res = await fetch(new URL('/api/vhosts/%2F', ctx.broker.httpUrl), {
    method: 'PUT',
    headers,
    body: JSON.stringify({ tracing: on }),
  })
  assert.equal(res.status, 204)
}

describe('firehose tracing', () => {
  test('publishes and deliveries are copied to amq.rabbitmq.trace while tracing is on', async () => {
    const conn = await amqp.connect(ctx.url)
    const ch = await conn.createChannel()
    const traces = (await ch.assertQueue('', { exclusive: true })).queue
    await ch.bindQueue(traces, 'amq.rabbitmq.trace', '#')
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await setTracing(true)
    ch.sendToQueue(queue, Buffer.from('traced'), { contentType: 'text/plain', headers: { h: 1 } })
    const got = await (async () => {
      for (;;) {
        const m = await ch.get(queue, { noAck: true })
        if (m) return m
      }
    })()
    assert.equal(got.content.toString(), 'traced')
    await eventually(() => true)
    const msgs: amqp.GetMessage[] = []
    for (let i = 0; i < 50 && msgs.length < 2; i++) {
      const m = await ch.get(traces, { noAck: true })
      if (m) msgs.push(m)
    }
    const [pub, del] = msgs as [amqp.GetMessage, amqp.GetMessage]
    assert.equal(pub.fields.routingKey, 'publish.')
    assert.equal(pub.content.toString(), 'traced')
    const ph = pub.properties.headers as Record<string, unknown>
    assert.equal(ph['exchange_name'], '')
    assert.deepEqual(ph['routing_keys'], [queue])
    assert.deepEqual(ph['routed_queues'], [queue])
    assert.equal(ph['user'], 'guest')
    assert.deepEqual((ph['properties'] as Record<string, unknown>)['headers'], { h: 1 })
    assert.equal((ph['properties'] as Record<string, unknown>)['content_type'], 'text/plain')
    assert.equal(del.fields.routingKey, `deliver.${queue}`)
    assert.equal((del.properties.headers as Record<string, unknown>)['redelivered'], 0)

    await setTracing(false)
    ch.sendToQueue(queue, Buffer.from('not traced'))
    await ch.checkQueue(queue)
    assert.equal(await ch.get(traces), false)
    await conn.close()
  })
})

describe('Prometheus metrics', () => {
  test('/metrics serves RabbitMQ metric names without credentials; /metrics/per-object has queue labels', async () => {
    const conn = await amqp.connect(ctx.url)
    const ch = await conn.createChannel()
    await ch.assertQueue('metrics.q', { exclusive: true })
    ch.sendToQueue('metrics.q', Buffer.from('x'))
    await ch.checkQueue('metrics.q')
    const res = await fetch(new URL('/metrics', ctx.broker.httpUrl))
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/)
    const text = await res.text()
    for (const name of [
      'rabbitmq_connections',
      'rabbitmq_channels',
      'rabbitmq_queues',
      'rabbitmq_queue_messages_ready',
      'rabbitmq_global_messages_received_total',
      'rabbitmq_process_resident_memory_bytes',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name)
    }
    assert.match(text, /^rabbitmq_connections [1-9]\d*$/m)
    const per = await (await fetch(new URL('/metrics/per-object', ctx.broker.httpUrl))).text()
    assert.match(per, /^rabbitmq_queue_messages_ready\{vhost="\/",queue="metrics\.q"\} 1$/m)
    await conn.close()
  })
})
