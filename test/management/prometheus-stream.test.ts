// The Stream protocol's Prometheus counters, named and labelled as RabbitMQ 3.10's stream plugin reports
// them (checked against the reference node's /metrics): rabbitmq_global_*{protocol="stream"} for
// messages received, confirmed and delivered, publishers and consumers open, and
// rabbitmq_global_stream_error_<name>_total for commands answered with an error.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import rabbit from 'rabbitmq-stream-js-client'
import { eventually, useBroker } from '../helpers/broker.js'

const b = useBroker({ httpPort: 0 })

async function metric(name: string, labels: string): Promise<number | undefined> {
  const text = await (await fetch(`${b.broker.httpUrl}metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `))
  return line === undefined ? undefined : Number(line.split(' ')[1])
}

test('stream messages, publishers, consumers and errors are counted with protocol="stream"', async () => {
  const port = b.broker.streamPort
  assert.ok(port !== undefined)
  const stream = `metrics-${process.pid}`
  const S = 'protocol="stream"'
  const SQ = 'protocol="stream",queue_type="rabbit_stream_queue"'
  assert.equal(await metric('rabbitmq_global_messages_received_total', S), 0)
  assert.equal(await metric('rabbitmq_global_stream_error_stream_already_exists_total', S), 0)
  const c = await rabbit.connect({
    hostname: '127.0.0.1',
    port,
    username: 'guest',
    password: 'guest',
    vhost: '/',
  })
  try {
    await c.createStream({ stream })
    const pub = await c.declarePublisher({ stream })
    let confirmed = 0
    pub.on('publish_confirm', (_err, ids) => (confirmed += ids.length))
    for (let i = 0; i < 20; i++) await pub.send(Buffer.from(`m${i}`))
    await pub.flush()
    await eventually(() => confirmed >= 20, 5000)
    let got = 0
    const consumer = await c.declareConsumer({ stream, offset: rabbit.Offset.first() }, () => void got++)
    await eventually(() => got >= 20, 5000)
    assert.equal(await metric('rabbitmq_global_messages_received_total', S), 20)
    assert.equal(await metric('rabbitmq_global_messages_received_confirm_total', S), 20)
    assert.equal(await metric('rabbitmq_global_messages_confirmed_total', S), 20)
    assert.equal(await metric('rabbitmq_global_messages_delivered_total', SQ), 20)
    assert.equal(await metric('rabbitmq_global_publishers', S), 1)
    assert.equal(await metric('rabbitmq_global_consumers', S), 1)
    // AMQP 0-9-1's own samples stay beside them.
    assert.equal(await metric('rabbitmq_global_messages_received_total', 'protocol="amqp091"'), 0)
    // The client takes "stream already exists" as success; the server still answered with that error.
    await c.createStream({ stream }).catch(() => undefined)
    assert.equal(await metric('rabbitmq_global_stream_error_stream_already_exists_total', S), 1)
    await consumer.close()
    await pub.close()
    assert.equal(await metric('rabbitmq_global_consumers', S), 0)
    await c.deleteStream({ stream })
  } finally {
    await c.close().catch(() => undefined)
  }
})
