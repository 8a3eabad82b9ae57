import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { amqp, useBroker } from '../helpers/broker.js'

const ctx = useBroker()

describe('publish and consume through amqplib', () => {
  test('connects and reports RabbitMQ-compatible server properties', async () => {
    const conn = await amqp.connect(ctx.url)
    const props = (conn.connection as unknown as { serverProperties: Record<string, unknown> })
      .serverProperties
    assert.equal(props['product'], 'RabbitMQ')
    const caps = props['capabilities'] as Record<string, boolean>
    for (const cap of [
      'publisher_confirms',
      'exchange_exchange_bindings',
      'basic.nack',
      'consumer_cancel_notify',
      'connection.blocked',
      'authentication_failure_close',
      'per_consumer_qos',
      'direct_reply_to',
    ]) {
      assert.equal(caps[cap], true, cap)
    }
    await conn.close()
  })

  test('default exchange: publish then basic.get, and get-empty after', async () => {
    const conn = await amqp.connect(ctx.url)
    const ch = await conn.createChannel()
    const { queue } = await ch.assertQueue('', { exclusive: true })
    assert.match(queue, /^amq\.gen-/)
    ch.sendToQueue(queue, Buffer.from('hello'), { contentType: 'text/plain', headers: { a: 1 } })
    let got: amqp.GetMessage | false = false
    for (let i = 0; i < 50 && !got; i++) got = await ch.get(queue, { noAck: true })
    assert.ok(got)
    assert.equal(got.content.toString(), 'hello')
    assert.equal(got.properties.contentType, 'text/plain')
    assert.deepEqual(got.properties.headers, { a: 1 })
    assert.equal(got.fields.redelivered, false)
    assert.equal(await ch.get(queue), false)
    await conn.close()
  })

  test('consume with ack, round-robin across two consumers', async () => {
    const conn = await amqp.connect(ctx.url)
    const ch = await conn.createChannel()
    const q = 'rr-test'
    await ch.assertQueue(q, { autoDelete: false })
    const seen: Record<string, number[]> = { a: [], b: [] }
    let total = 0
    const done = new Promise<void>((resolve) => {
      for (const name of ['a', 'b'] as const) {
        void ch.consume(
          q,
          (msg) => {
            if (!msg) return
            seen[name]?.push(Number(msg.content.toString()))
            ch.ack(msg)
            if (++total === 10) resolve()
          },
          { consumerTag: name },
        )
      }
    })
    await new Promise((r) => setTimeout(r, 20))
    for (let i = 0; i < 10; i++) ch.sendToQueue(q, Buffer.from(String(i)))
    await done
    assert.deepEqual(seen['a'], [0, 2, 4, 6, 8])
    assert.deepEqual(seen['b'], [1, 3, 5, 7, 9])
    await ch.deleteQueue(q)
    await conn.close()
  })

  test('bodies larger than frame_max are split and reassembled', async () => {
    const conn = await amqp.connect(ctx.url)
    const ch = await conn.createChannel()
    const { queue } = await ch.assertQueue('', { exclusive: true })
    const body = Buffer.alloc(1_000_000)
    for (let i = 0; i < body.length; i++) body[i] = i % 251
    ch.sendToQueue(queue, body)
    const msg = await new Promise<amqp.ConsumeMessage>((resolve) => {
      void ch.consume(queue, (m) => m && resolve(m), { noAck: true })
    })
    assert.equal(msg.content.length, body.length)
    assert.ok(msg.content.equals(body))
    await conn.close()
  })

  test('nack with requeue redelivers with redelivered set; unacked messages return on channel close', async () => {
    const conn = await amqp.connect(ctx.url)
    const ch = await conn.createChannel()
    const { queue } = await ch.assertQueue('', { exclusive: true })
    ch.sendToQueue(queue, Buffer.from('x'))
    const first = await pollGet(ch, queue)
    assert.equal(first.fields.redelivered, false)
    ch.nack(first, false, true)
    const second = await pollGet(ch, queue)
    assert.equal(second.fields.redelivered, true)
    const ch2 = await conn.createChannel()
    ch.reject(second, true)
    const third = await pollGet(ch2, queue)
    await ch2.close()
    const fourth = await pollGet(ch, queue)
    assert.equal(fourth.content.toString(), 'x')
    assert.equal(third.fields.redelivered, true)
    ch.ack(fourth)
    const check = await ch.checkQueue(queue)
    assert.equal(check.messageCount, 0)
    await conn.close()
  })
})

async function pollGet(ch: amqp.Channel, queue: string): Promise<amqp.GetMessage> {
  for (let i = 0; i < 100; i++) {
    const m = await ch.get(queue)
    if (m) return m
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error('no message')
}
