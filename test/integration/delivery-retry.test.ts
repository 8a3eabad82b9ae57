// LavinMQ's delayed retry on Warren's classic queues: a message rejected or nacked with requeue is not
// ready again until its backoff has passed (x-delayed-retry-min, -multiplier, -max), while the messages
// behind it keep flowing; x-delivery-limit (20 by default with retries) ends the loop. A manual clock
// makes the delays exact and instant; amqplib talks to the broker over TCP, and the management API shows
// the waiting messages and the policy keys.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type amqp from 'amqplib'
import { ManualClock } from '../../src/index.js'
import { useManagement } from '../management/helpers.js'
import { channel, connect, rejection, sync, type Target, uniqueName } from '../helpers/target.js'

const clock = new ManualClock(1_000_000)
const m = useManagement({ clock })
const t: Target = {
  external: false,
  get url() {
    return m.amqpUrl
  },
  get broker() {
    return m.broker
  },
}

async function open(): Promise<amqp.Channel> {
  return channel(await connect(t))
}

async function retryQueue(ch: amqp.Channel, args: Record<string, unknown>): Promise<string> {
  const q = uniqueName('retry')
  await ch.assertQueue(q, { durable: true, arguments: args })
  return q
}

/** basic.get now (the clock does not move): the message, or false. */
async function getNow(ch: amqp.Channel, q: string): Promise<amqp.GetMessage | false> {
  await sync(ch)
  return ch.get(q)
}

/**
 * Rejects the message each time it is ready and records after how many ms (of the manual clock) it
 * came back, stepping the clock 1 ms at a time from each reject; returns the delays.
 */
async function backoffs(ch: amqp.Channel, q: string, rejects: number): Promise<number[]> {
  const delays: number[] = []
  let msg = await getNow(ch, q)
  for (let i = 0; i < rejects; i++) {
    assert.ok(msg, `delivery ${i}`)
    ch.nack(msg, false, true)
    let waited = 0
    for (msg = await getNow(ch, q); !msg; msg = await getNow(ch, q)) {
      clock.advance(1)
      waited++
      if (waited > 100_000) throw new Error('never came back')
    }
    delays.push(waited)
  }
  if (msg) ch.ack(msg)
  return delays
}

describe('delayed retry', () => {
  test('exponential: min * multiplier^(n-1), capped by max', async () => {
    const ch = await open()
    const q = await retryQueue(ch, {
      'x-delayed-retry-min': 100,
      'x-delayed-retry-multiplier': 2,
      'x-delayed-retry-max': 500,
    })
    ch.sendToQueue(q, Buffer.from('x'), { persistent: true })
    assert.deepEqual(await backoffs(ch, q, 5), [100, 200, 400, 500, 500])
  })

  test('linear without a multiplier (min * n); constant with multiplier 1', async () => {
    const ch = await open()
    const linear = await retryQueue(ch, { 'x-delayed-retry-min': 50 })
    const constant = await retryQueue(ch, { 'x-delayed-retry-min': 70, 'x-delayed-retry-multiplier': 1 })
    ch.sendToQueue(linear, Buffer.from('l'))
    ch.sendToQueue(constant, Buffer.from('c'))
    assert.deepEqual(await backoffs(ch, linear, 3), [50, 100, 150])
    assert.deepEqual(await backoffs(ch, constant, 3), [70, 70, 70])
  })

  test('redeliveries carry x-delivery-count and the redelivered flag; the first has neither', async () => {
    const ch = await open()
    const q = await retryQueue(ch, { 'x-delayed-retry-min': 10, 'x-delayed-retry-multiplier': 1 })
    // A publisher's x-delivery-count is the broker's to set: it is removed (as LavinMQ does).
    ch.sendToQueue(q, Buffer.from('x'), { headers: { 'x-delivery-count': 9, keep: 'me' } })
    const seen: unknown[] = []
    for (let i = 0; i < 3; i++) {
      let msg = await getNow(ch, q)
      while (!msg) {
        clock.advance(10)
        msg = await getNow(ch, q)
      }
      seen.push([msg.properties.headers?.['x-delivery-count'], msg.fields.redelivered])
      assert.equal(msg.properties.headers?.['keep'], 'me')
      ch.nack(msg, false, true)
      await sync(ch)
    }
    assert.deepEqual(seen, [
      [undefined, false],
      [1, true],
      [2, true],
    ])
  })

  test('a waiting message does not hold up the ones behind it, and comes back at the tail', async () => {
    const ch = await open()
    const q = await retryQueue(ch, { 'x-delayed-retry-min': 1000 })
    for (const body of ['a', 'b', 'c']) ch.sendToQueue(q, Buffer.from(body))
    const a = await getNow(ch, q)
    assert.ok(a)
    ch.reject(a, true)
    const b = await getNow(ch, q)
    assert.equal(b && b.content.toString(), 'b')
    if (b) ch.reject(b, false) // no dead-letter exchange: dropped
    await sync(ch)
    clock.advance(1000)
    ch.sendToQueue(q, Buffer.from('d'))
    const order: string[] = []
    for (let msg = await getNow(ch, q); msg; msg = await getNow(ch, q)) {
      order.push(msg.content.toString())
      ch.ack(msg)
    }
    assert.deepEqual(order, ['c', 'a', 'd'])
  })

  test('a closed channel requeues at once but counts; the default limit with retries is 20', async () => {
    const ch = await open()
    const dlq = uniqueName('retry-dlq')
    await ch.assertQueue(dlq)
    const q = await retryQueue(ch, {
      'x-delayed-retry-min': 60_000,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': dlq,
    })
    ch.sendToQueue(q, Buffer.from('x'))
    const conn = await connect(t)
    for (let i = 0; i <= 20; i++) {
      const worker = await channel(conn)
      await sync(worker)
      const msg = await worker.get(q)
      assert.ok(msg, `delivery ${i + 1} is at once, with no backoff`)
      assert.equal(msg.properties.headers?.['x-delivery-count'], i === 0 ? undefined : i)
      await worker.close()
    }
    const dead = await getNow(ch, dlq)
    assert.ok(dead)
    const death = (dead.properties.headers?.['x-death'] as unknown as Array<Record<string, unknown>>)[0]
    assert.equal(death?.['reason'], 'delivery_limit')
    assert.equal(await getNow(ch, q), false)
  })

  test('the management API shows messages_delayed; purge drops waiting messages too', async () => {
    const ch = await open()
    const q = await retryQueue(ch, { 'x-delayed-retry-min': 5000, 'x-delivery-limit': 3 })
    for (const body of ['a', 'b', 'c']) ch.sendToQueue(q, Buffer.from(body), { persistent: true })
    await sync(ch)
    for (let i = 0; i < 2; i++) {
      const msg = await ch.get(q)
      if (msg) ch.nack(msg, false, true)
    }
    await sync(ch)
    const r = await m.api('GET', `/api/queues/%2F/${q}`)
    assert.equal(r.json.messages_delayed, 2)
    assert.equal(r.json.messages_ready, 1)
    assert.equal(r.json.messages, 1)
    assert.deepEqual(r.json.arguments, { 'x-delayed-retry-min': 5000, 'x-delivery-limit': 3 })
    assert.equal((await ch.purgeQueue(q)).messageCount, 3)
    clock.advance(5000)
    assert.equal(await getNow(ch, q), false)
    assert.equal((await m.api('GET', `/api/queues/%2F/${q}`)).json.messages_delayed, 0)
  })

  test('a TTL keeps running while a message waits: it expires when its retry is due', async () => {
    const ch = await open()
    const q = await retryQueue(ch, { 'x-delayed-retry-min': 1000, 'x-message-ttl': 500 })
    ch.sendToQueue(q, Buffer.from('x'))
    const msg = await getNow(ch, q)
    assert.ok(msg)
    ch.nack(msg, false, true)
    await sync(ch)
    assert.equal((await m.api('GET', `/api/queues/%2F/${q}`)).json.messages_delayed, 1)
    clock.advance(1000)
    assert.equal(await getNow(ch, q), false)
    assert.equal((await m.api('GET', `/api/queues/%2F/${q}`)).json.messages_delayed, 0)
  })

  test('a policy turns retries on for an existing queue and shows in effective_policy_definition', async () => {
    const ch = await open()
    const q = await retryQueue(ch, {})
    const policy = uniqueName('retry-policy')
    const definition = { 'delayed-retry-min': 300, 'delayed-retry-multiplier': 3, 'delivery-limit': 1 }
    const put = await m.api('PUT', `/api/policies/%2F/${policy}`, {
      body: { pattern: `^${q}$`, 'apply-to': 'queues', definition },
    })
    assert.equal(put.status, 201)
    assert.deepEqual(
      (await m.api('GET', `/api/queues/%2F/${q}`)).json.effective_policy_definition,
      definition,
    )
    ch.sendToQueue(q, Buffer.from('x'))
    assert.deepEqual(await backoffs(ch, q, 1), [300])
    const msg = await getNow(ch, q)
    assert.ok(!msg, 'acked by backoffs')
    ch.sendToQueue(q, Buffer.from('y'))
    const first = await getNow(ch, q)
    assert.ok(first)
    ch.nack(first, false, true)
    await sync(ch) // the nack is in before the clock moves
    clock.advance(300)
    const second = await getNow(ch, q)
    assert.ok(second)
    ch.nack(second, false, true) // the second return is past delivery-limit 1: dropped
    await sync(ch)
    clock.advance(10_000)
    assert.equal(await getNow(ch, q), false)
    await m.api('DELETE', `/api/policies/%2F/${policy}`)
  })

  test('bad policy values are refused with RabbitMQ-style reasons', async () => {
    const bad = async (definition: Record<string, unknown>): Promise<string> => {
      const r = await m.api('PUT', `/api/policies/%2F/${uniqueName('bad')}`, {
        body: { pattern: '^nothing$', definition },
      })
      assert.equal(r.status, 400)
      return r.json.reason as string
    }
    assert.equal(
      await bad({ 'delivery-limit': -1 }),
      'Validation failed\n\n-1 is not a valid delivery limit\n',
    )
    assert.equal(
      await bad({ 'delayed-retry-min': 0 }),
      "Validation failed\n\ninvalid value 0 for policy key 'delayed-retry-min'\n",
    )
  })
})

describe('retry arguments: validation and equivalence', () => {
  const cases: Array<[string, unknown, string]> = [
    ['x-delivery-limit', -1, '{value_negative,-1}'],
    ['x-delivery-limit', 'ten', '"expected integer, got longstr"'],
    ['x-delayed-retry-min', 0, '{value_zero,0}'],
    ['x-delayed-retry-min', 1.5, '"expected integer, got double"'],
    ['x-delayed-retry-multiplier', 3_000_000_000, '{max_value_exceeded,3000000000}'],
    ['x-delayed-retry-max', -5, '{value_negative,-5}'],
  ]
  for (const [arg, value, problem] of cases) {
    test(`${arg}=${JSON.stringify(value)}: 406`, async () => {
      const ch = await open()
      const q = uniqueName('badretry')
      const err = await rejection(() => ch.assertQueue(q, { arguments: { [arg]: value } }))
      assert.deepEqual(err, {
        code: 406,
        text: `PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/': ${problem}`,
      })
    })
  }

  test('a redeclare with another backoff is inequivalent', async () => {
    const ch = await open()
    const q = await retryQueue(ch, { 'x-delayed-retry-min': 100 })
    const err = await rejection(() =>
      ch.assertQueue(q, { durable: true, arguments: { 'x-delayed-retry-min': 200 } }),
    )
    assert.equal(
      err.text,
      `PRECONDITION_FAILED - inequivalent arg 'x-delayed-retry-min' for queue '${q}' in vhost '/': received '200' but current is '100'`,
    )
  })
})
