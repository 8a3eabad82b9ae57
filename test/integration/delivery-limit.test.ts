// x-delivery-limit as RabbitMQ 3.10's quorum queues apply it, on Warren's classic queues: every return
// (reject or nack with requeue, a channel closed with the message unacked) counts, redeliveries carry
// x-delivery-count, and a message returned more than the limit is dead-lettered with reason
// delivery_limit, or dropped without a dead-letter exchange. Against RabbitMQ the queues are quorum
// queues (its classic queues refuse the argument), so the same expectations hold for both:
//   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5676 node --test dist/test/integration/delivery-limit.test.js
// RabbitMQ also sends x-delivery-count 0 on a first delivery; Warren sends none (docs/compatibility.md),
// so first deliveries are read as `?? 0` here.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type amqp from 'amqplib'
import { channel, connect, getOne, sleep, sync, uniqueName, useTarget } from '../helpers/target.js'

const t = useTarget()
const made: string[] = []

/** A durable queue with a delivery limit (a quorum queue against RabbitMQ). */
async function limited(ch: amqp.Channel, limit: number, args: Record<string, unknown> = {}): Promise<string> {
  const q = uniqueName('dlim')
  made.push(q)
  const type = t.external ? { 'x-queue-type': 'quorum' } : {}
  await ch.assertQueue(q, { durable: true, arguments: { ...type, 'x-delivery-limit': limit, ...args } })
  return q
}

async function deadLetterQueue(ch: amqp.Channel): Promise<string> {
  const q = uniqueName('dlim-dlq')
  made.push(q)
  await ch.assertQueue(q, { durable: true })
  return q
}

// An in-process Warren is gone by now (its hook ran first); an external broker keeps what tests made.
after(async () => {
  if (!t.external) return
  const conn = await connect(t)
  const ch = await channel(conn)
  for (const q of made) await ch.deleteQueue(q).catch(() => {})
  await conn.close()
})

const countOf = (m: amqp.GetMessage): unknown => m.properties.headers?.['x-delivery-count'] ?? 0

/** basic.get until the queue stays empty for a moment (a quorum queue answers a little later). */
async function getOrNone(ch: amqp.Channel, q: string): Promise<amqp.GetMessage | false> {
  for (let i = 0; i < 10; i++) {
    const m = await ch.get(q)
    if (m) return m
    await sleep(20)
  }
  return false
}

describe('x-delivery-limit', () => {
  test('limit 2: three deliveries counted 0, 1, 2, then dead-lettered as delivery_limit', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const dlq = await deadLetterQueue(ch)
    const q = await limited(ch, 2, { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq })
    ch.sendToQueue(q, Buffer.from('poison'), { persistent: true, headers: { app: 'a' } })
    const seen: Array<[unknown, boolean]> = []
    for (let i = 0; i < 3; i++) {
      const m = await getOne(ch, q)
      seen.push([countOf(m), m.fields.redelivered])
      ch.nack(m, false, true)
    }
    assert.deepEqual(seen, [
      [0, false],
      [1, true],
      [2, true],
    ])
    const dead = await getOne(ch, dlq)
    assert.equal(await getOrNone(ch, q), false)
    const deaths = dead.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>
    assert.equal(deaths.length, 1)
    assert.deepEqual(
      { ...deaths[0], time: undefined },
      { count: 1, reason: 'delivery_limit', queue: q, time: undefined, exchange: '', 'routing-keys': [q] },
    )
    assert.equal(dead.properties.headers?.['x-first-death-reason'], 'delivery_limit')
    assert.equal(dead.properties.headers?.['app'], 'a')
    ch.ack(dead)
    await conn.close()
  })

  test('limit 0: the first return dead-letters; basic.reject counts as nack does', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const dlq = await deadLetterQueue(ch)
    const q = await limited(ch, 0, { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq })
    ch.sendToQueue(q, Buffer.from('once'), { persistent: true })
    ch.reject(await getOne(ch, q), true)
    const dead = await getOne(ch, dlq)
    assert.equal(dead.content.toString(), 'once')
    assert.equal(await getOrNone(ch, q), false)
    await conn.close()
  })

  test('a channel closed with the message unacked counts as a return', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const dlq = await deadLetterQueue(ch)
    const q = await limited(ch, 1, { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq })
    ch.sendToQueue(q, Buffer.from('crashy'), { persistent: true })
    await sync(ch)
    const counts: unknown[] = []
    for (let i = 0; i < 2; i++) {
      const worker = await channel(conn)
      counts.push(countOf(await getOne(worker, q)))
      await worker.close() // the consumer "crashes" with the message unacked
    }
    assert.deepEqual(counts, [0, 1])
    const dead = await getOne(ch, dlq)
    const deaths = dead.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>
    assert.equal(deaths[0]?.['reason'], 'delivery_limit')
    await conn.close()
  })

  test('without a dead-letter exchange the message is dropped; others are untouched', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const q = await limited(ch, 1)
    ch.sendToQueue(q, Buffer.from('bad'), { persistent: true })
    ch.sendToQueue(q, Buffer.from('good'), { persistent: true })
    await sync(ch)
    for (let i = 0; i < 2; i++) {
      const m = await getOne(ch, q)
      assert.equal(m.content.toString(), 'bad')
      ch.nack(m, false, true)
    }
    const rest = await getOne(ch, q, true)
    assert.equal(rest.content.toString(), 'good')
    assert.equal(await getOrNone(ch, q), false)
    await conn.close()
  })

  test('acked and nacked-without-requeue messages are settled as usual', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const dlq = await deadLetterQueue(ch)
    const q = await limited(ch, 3, { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq })
    ch.sendToQueue(q, Buffer.from('r'), { persistent: true })
    const m = await getOne(ch, q)
    ch.nack(m, false, false)
    const dead = await getOne(ch, dlq)
    const deaths = dead.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>
    assert.equal(deaths[0]?.['reason'], 'rejected')
    await conn.close()
  })

  test('redeclaring with another limit is inequivalent (406)', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const q = await limited(ch, 3)
    const type = t.external ? { 'x-queue-type': 'quorum' } : {}
    const again = await channel(conn)
    await assert.rejects(
      again.assertQueue(q, { durable: true, arguments: { ...type, 'x-delivery-limit': 4 } }),
      (err: Error) =>
        err.message.includes(
          `PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue '${q}' in vhost '/': received '4' but current is '3'`,
        ),
    )
    await conn.close()
  })
})
