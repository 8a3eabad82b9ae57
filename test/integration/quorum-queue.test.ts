// Quorum queues (x-queue-type: quorum) on one node, as RabbitMQ 3.10 gives them over AMQP 0-9-1. Every
// expectation here was taken from the reference broker and runs against it unchanged:
//   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5676 node --test dist/test/integration/quorum-queue.test.js
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type amqp from 'amqplib'
import {
  channel,
  confirmChannel,
  connect,
  connectionClosed,
  getOne,
  Inbox,
  rejection,
  sleep,
  uniqueName,
  useTarget,
} from '../helpers/target.js'

const t = useTarget()
const made: string[] = []
const QUORUM = { 'x-queue-type': 'quorum' }

after(async () => {
  if (!t.external) return
  const conn = await connect(t)
  const ch = await channel(conn)
  for (const q of made) await ch.deleteQueue(q).catch(() => {})
  await conn.close()
})

async function quorum(ch: amqp.Channel, args: Record<string, unknown> = {}): Promise<string> {
  const q = uniqueName('qq')
  made.push(q)
  await ch.assertQueue(q, { durable: true, arguments: { ...QUORUM, ...args } })
  return q
}

/** The 406 text a declare of queue 'qq-x' with these options gets (on a fresh channel). */
async function declareError(opts: amqp.Options.AssertQueue, name = 'qq-x'): Promise<string> {
  const conn = await connect(t)
  const ch = await channel(conn)
  const e = await rejection(() => ch.assertQueue(name, opts))
  await conn.close().catch(() => {})
  assert.equal(e.code, 406, e.text)
  return e.text
}

const inQx = "for queue 'qq-x' in vhost '/'"
const quorumArgs = (args: Record<string, unknown>): amqp.Options.AssertQueue => ({
  durable: true,
  arguments: { ...QUORUM, ...args },
})

const bodiesOf = (ms: amqp.Message[]): string[] =>
  ms.map((m) => `${m.content.toString()}${m.fields.redelivered ? '*' : ''}`)
const countOf = (m: amqp.Message): unknown => m.properties.headers?.['x-delivery-count']

describe('quorum queue declare', () => {
  test('properties: auto-delete, then exclusive, then non-durable are refused', async () => {
    const prop = (p: string): string => `PRECONDITION_FAILED - invalid property '${p}' ${inQx}`
    assert.equal(await declareError({ ...quorumArgs({}), exclusive: true }), prop('exclusive-owner'))
    assert.equal(await declareError({ ...quorumArgs({}), durable: false }), prop('non-durable'))
    assert.equal(await declareError({ ...quorumArgs({}), autoDelete: true }), prop('auto-delete'))
    assert.equal(
      await declareError({ ...quorumArgs({}), exclusive: true, durable: false }),
      prop('exclusive-owner'),
    )
    assert.equal(
      await declareError({ ...quorumArgs({}), autoDelete: true, durable: false }),
      prop('auto-delete'),
    )
  })

  test('a server-named quorum queue is refused before anything else', async () => {
    const text = 'PRECONDITION_FAILED - Cannot declare a server-named queue for type rabbit_quorum_queue'
    assert.equal(await declareError({ ...quorumArgs({}), exclusive: true }, ''), text)
    assert.equal(await declareError(quorumArgs({ 'x-max-priority': 1 }), ''), text)
  })

  test('arguments quorum queues do not support', async () => {
    for (const [key, value] of Object.entries({
      'x-max-priority': 10,
      'x-queue-mode': 'lazy',
      'x-queue-master-locator': 'client-local',
      'x-max-age': '1D',
      'x-stream-max-segment-size-bytes': 5,
      'x-initial-cluster-size': 1,
    })) {
      assert.equal(
        await declareError(quorumArgs({ [key]: value })),
        `PRECONDITION_FAILED - invalid arg '${key}' ${inQx} of queue type rabbit_quorum_queue`,
      )
    }
    // Refused arguments are checked after every value, and before the properties.
    assert.match(await declareError(quorumArgs({ 'x-max-priority': 1, 'x-max-length': -1 })), /x-max-length/)
    assert.match(
      await declareError({ ...quorumArgs({ 'x-max-priority': 1 }), durable: false }),
      /x-max-priority/,
    )
  })

  test('values are checked as RabbitMQ checks them', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['x-overflow', 'bogus', 'invalid_overflow'],
      ['x-dead-letter-strategy', 'bogus', 'invalid_dlx_strategy'],
      ['x-dead-letter-strategy', 5, '{unacceptable_type,byte}'],
      ['x-quorum-initial-group-size', 0, '{value_zero,0}'],
      ['x-quorum-initial-group-size', 'a', '"expected integer, got longstr"'],
      ['x-queue-leader-locator', 'bogus', 'invalid_queue_locator_arg'],
      ['x-max-in-memory-length', -1, '{value_negative,-1}'],
      ['x-expires', 0, '{value_zero,0}'],
      ['x-message-ttl', -1, '{value_negative,-1}'],
      ['x-max-length', 'a', '"expected integer, got longstr"'],
    ]
    for (const [key, value, problem] of cases) {
      assert.equal(
        await declareError(quorumArgs({ [key]: value })),
        `PRECONDITION_FAILED - invalid arg '${key}' ${inQx}: ${problem}`,
      )
    }
    assert.equal(
      await declareError(quorumArgs({ 'x-dead-letter-routing-key': 'rk' })),
      `PRECONDITION_FAILED - invalid arg 'x-dead-letter-routing-key' ${inQx}: routing_key_but_no_dlx_defined`,
    )
  })

  test('accepted arguments, x-delivery-limit whatever its value', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    for (const args of [
      { 'x-max-length': 10, 'x-max-length-bytes': 100, 'x-overflow': 'reject-publish' },
      { 'x-overflow': 'drop-head' },
      { 'x-overflow': 'reject-publish-dlx' },
      { 'x-message-ttl': 1000, 'x-expires': 60000, 'x-single-active-consumer': true },
      {
        'x-dead-letter-exchange': 'dlx',
        'x-dead-letter-routing-key': 'rk',
        'x-dead-letter-strategy': 'at-least-once',
      },
      { 'x-dead-letter-strategy': 'at-most-once', 'x-quorum-initial-group-size': 3 },
      { 'x-max-in-memory-length': 5, 'x-max-in-memory-bytes': 5 },
      { 'x-queue-leader-locator': 'balanced' },
      { 'x-queue-leader-locator': 'client-local' },
      { 'x-delivery-limit': 3 },
      { 'x-delivery-limit': -1 },
      { 'x-delivery-limit': 'x' },
      { 'x-unknown': 1 },
    ]) {
      const q = await quorum(ch, args)
      assert.equal((await ch.checkQueue(q)).queue, q)
    }
    await conn.close()
  })

  test('redeclare: arguments compared in RabbitMQ order, exclusive 405, durable 406', async () => {
    const conn = await connect(t)
    let ch = await channel(conn)
    const q = await quorum(ch, { 'x-max-length': 5 })
    const ineq = async (opts: amqp.Options.AssertQueue): Promise<string> => {
      const e = await rejection(() => ch.assertQueue(q, opts))
      ch = await channel(conn)
      return e.text
    }
    const at = `for queue '${q}' in vhost '/'`
    // x-max-length comes before x-queue-type in the comparison.
    assert.equal(
      await ineq({ durable: true }),
      `PRECONDITION_FAILED - inequivalent arg 'x-max-length' ${at}: received none but current is the value '5' of type 'byte'`,
    )
    assert.equal(
      await ineq(quorumArgs({ 'x-max-length': 5, 'x-delivery-limit': 3 })),
      `PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' ${at}: received the value '3' of type 'byte' but current is none`,
    )
    assert.equal(
      await ineq(quorumArgs({ 'x-max-length': 5, 'x-dead-letter-strategy': 'at-most-once' })),
      `PRECONDITION_FAILED - inequivalent arg 'x-dead-letter-strategy' ${at}: received the value 'at-most-once' of type 'longstr' but current is none`,
    )
    assert.match(await ineq({ ...quorumArgs({ 'x-max-length': 5 }), exclusive: true }), /^RESOURCE_LOCKED/)
    assert.equal(
      await ineq({ ...quorumArgs({ 'x-max-length': 5 }), durable: false }),
      `PRECONDITION_FAILED - inequivalent arg 'durable' ${at}: received 'false' but current is 'true'`,
    )
    await ch.assertQueue(q, quorumArgs({ 'x-max-length': 5 }))
    const plain = await quorum(ch)
    assert.equal(
      (await rejection(() => ch.assertQueue(plain, { durable: true }))).text,
      `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '${plain}' in vhost '/': received none but current is the value 'quorum' of type 'longstr'`,
    )
    ch = await channel(conn)
    const classic = uniqueName('qq-classic')
    made.push(classic)
    await ch.assertQueue(classic, { durable: true })
    assert.equal(
      (await rejection(() => ch.assertQueue(classic, quorumArgs({})))).text,
      `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '${classic}' in vhost '/': received the value 'quorum' of type 'longstr' but current is none`,
    )
    await conn.close()
  })
})

describe('quorum queue delivery', () => {
  test('a nacked message goes to the back of the queue, counted in x-delivery-count', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const q = await quorum(ch)
    for (const b of ['a', 'b', 'c', 'd']) ch.sendToQueue(q, Buffer.from(b))
    await ch.waitForConfirms()
    await ch.prefetch(1)
    const inbox = new Inbox()
    let n = 0
    await ch.consume(q, (m) => {
      inbox.onMessage(m)
      if (m && n++ < 2) ch.nack(m, false, true)
      else if (m) ch.ack(m)
    })
    const got = await inbox.count(6)
    assert.deepEqual(bodiesOf(got), ['a', 'b', 'c', 'd', 'a*', 'b*'])
    // A consumer's first delivery has no x-delivery-count; a redelivery carries the count.
    assert.deepEqual(got.map(countOf), [undefined, undefined, undefined, undefined, 1, 1])
    await conn.close()
  })

  test('rejected b then a: both behind c, in the order returned', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const q = await quorum(ch)
    for (const b of ['a', 'b', 'c']) ch.sendToQueue(q, Buffer.from(b))
    await ch.waitForConfirms()
    const a = await getOne(ch, q)
    const b = await getOne(ch, q)
    ch.reject(b, true)
    ch.reject(a, true)
    await sleep(50)
    const out: string[] = []
    for (let i = 0; i < 3; i++) {
      const m = await getOne(ch, q)
      out.push(`${m.content.toString()}:${String(countOf(m))}:${m.fields.redelivered}`)
      ch.ack(m)
    }
    assert.deepEqual(out, ['c:0:false', 'b:1:true', 'a:1:true'])
    await conn.close()
  })

  test('basic.get carries x-delivery-count 0 on a first delivery; basic.recover counts too', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const q = await quorum(ch)
    ch.sendToQueue(q, Buffer.from('x'), { headers: { app: 1 } })
    await ch.waitForConfirms()
    const first = await getOne(ch, q)
    assert.deepEqual(first.properties.headers, { app: 1, 'x-delivery-count': 0 })
    await ch.recover()
    const second = await getOne(ch, q)
    assert.equal(countOf(second), 1)
    assert.equal(second.fields.redelivered, true)
    ch.ack(second)
    await conn.close()
  })

  test('message priority is ignored: delivered in publish order', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const q = await quorum(ch)
    ch.sendToQueue(q, Buffer.from('low'), { priority: 1 })
    ch.sendToQueue(q, Buffer.from('high'), { priority: 9 })
    await ch.waitForConfirms()
    assert.equal((await getOne(ch, q, true)).content.toString(), 'low')
    assert.equal((await getOne(ch, q, true)).content.toString(), 'high')
    await conn.close()
  })

  test('x-delivery-limit: dead-lettered as delivery_limit once over the limit', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const dlq = await quorum(ch)
    const q = await quorum(ch, {
      'x-delivery-limit': 1,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': dlq,
    })
    ch.sendToQueue(q, Buffer.from('poison'))
    await ch.waitForConfirms()
    ch.nack(await getOne(ch, q), false, true)
    const again = await getOne(ch, q)
    assert.equal(countOf(again), 1)
    ch.nack(again, false, true)
    const dead = await getOne(ch, dlq)
    assert.equal(dead.content.toString(), 'poison')
    assert.equal(dead.properties.headers?.['x-first-death-reason'], 'delivery_limit')
    ch.ack(dead)
    await conn.close()
  })

  test('x-delivery-limit without a dead-letter exchange drops the message', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const q = await quorum(ch, { 'x-delivery-limit': 0 })
    ch.sendToQueue(q, Buffer.from('gone'))
    await ch.waitForConfirms()
    ch.reject(await getOne(ch, q), true)
    await sleep(100)
    assert.equal(await ch.get(q), false)
    await conn.close()
  })

  test('overflow: drop-head by default, reject-publish-dlx taken as drop-head, reject-publish nacks once over', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const drain = async (q: string): Promise<string[]> => {
      await sleep(50)
      const out: string[] = []
      for (let m = await ch.get(q, { noAck: true }); m; m = await ch.get(q, { noAck: true }))
        out.push(m.content.toString())
      return out
    }
    for (const overflow of [undefined, 'reject-publish-dlx']) {
      const q = await quorum(ch, { 'x-max-length': 2, ...(overflow ? { 'x-overflow': overflow } : {}) })
      for (const b of ['1', '2', '3']) ch.sendToQueue(q, Buffer.from(b))
      await ch.waitForConfirms()
      assert.deepEqual(await drain(q), ['2', '3'], String(overflow))
    }
    // reject-publish takes the message that goes over the limit and refuses the next ones.
    const q = await quorum(ch, { 'x-max-length': 1, 'x-overflow': 'reject-publish' })
    const outcomes: boolean[] = []
    for (const b of ['1', '2', '3', '4']) {
      outcomes.push(
        await new Promise<boolean>((resolve) =>
          ch.sendToQueue(q, Buffer.from(b), {}, (err) => resolve(!err)),
        ),
      )
      await sleep(50)
    }
    assert.deepEqual(outcomes, [true, true, false, false])
    assert.deepEqual(await drain(q), ['1', '2'])
    // Down to 80% of the limit (0 of 1), publishes are taken again.
    assert.equal(
      await new Promise<boolean>((resolve) =>
        ch.sendToQueue(q, Buffer.from('5'), {}, (err) => resolve(!err)),
      ),
      true,
    )
    await conn.close()
  })

  test('x-message-ttl and per-message expiration are honoured', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const q = await quorum(ch, { 'x-message-ttl': 50 })
    ch.sendToQueue(q, Buffer.from('old'))
    const q2 = await quorum(ch)
    ch.sendToQueue(q2, Buffer.from('old'), { expiration: '50' })
    await ch.waitForConfirms()
    await sleep(250)
    assert.equal(await ch.get(q), false)
    assert.equal(await ch.get(q2), false)
    await conn.close()
  })
})

describe('quorum queue refusals that close the connection (540)', () => {
  test('consuming on a channel with a global prefetch', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const q = await quorum(ch)
    await ch.prefetch(10, true)
    const closed = connectionClosed(conn)
    await ch.consume(q, () => {}).catch(() => {})
    assert.deepEqual(await closed, {
      code: 540,
      text: `NOT_IMPLEMENTED - queue '${q}' in vhost '/' does not support global qos`,
    })
  })

  test('a global prefetch set after consuming does not limit the consumer; basic.get is fine', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const q = await quorum(ch)
    assert.equal(await ch.get(q), false)
    const inbox = new Inbox()
    await ch.consume(q, inbox.onMessage)
    await ch.prefetch(1, true)
    for (const b of ['1', '2', '3']) ch.sendToQueue(q, Buffer.from(b))
    await ch.waitForConfirms()
    // All three arrive unacked: the global limit of 1 does not apply to a quorum queue's consumer.
    assert.deepEqual(bodiesOf(await inbox.count(3)), ['1', '2', '3'])
    await conn.close()
  })

  for (const flag of ['ifUnused', 'ifEmpty'] as const) {
    test(`queue.delete with ${flag}`, async () => {
      const conn = await connect(t)
      const ch = await channel(conn)
      const q = await quorum(ch)
      const closed = connectionClosed(conn)
      await ch.deleteQueue(q, { [flag]: true }).catch(() => {})
      const name = flag === 'ifUnused' ? 'if-unused' : 'if-empty'
      assert.deepEqual(await closed, {
        code: 540,
        text: `NOT_IMPLEMENTED - cannot delete queue '${q}' in vhost '/'. queue.delete operations with ${name} flag set are not supported by quorum queues`,
      })
    })
  }
})
