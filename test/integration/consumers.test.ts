// Delivery to consumers as RabbitMQ does it: priority queues, consumer priorities, single active
// consumer, exclusive consumers, server-sent basic.cancel, basic.recover, prefetch (per-consumer and
// global), acknowledgement errors, the redelivered flag and channel.flow.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type amqp,
  channel,
  channelClosed,
  connect,
  connectionClosed,
  drain,
  getOne,
  Inbox,
  M,
  rejection,
  rpc,
  sleep,
  sync,
  uniqueName,
  useTarget,
} from '../helpers/target.js'

const t = useTarget()

describe('priority queues (x-max-priority)', () => {
  test('higher priority first, FIFO within a priority, priorities above the maximum count as the maximum', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-priority': 5 } })
    const sends: Array<[string, number | undefined]> = [
      ['p1', 1],
      ['none-a', undefined],
      ['p5', 5],
      ['p9', 9],
      ['p3', 3],
      ['p0', 0],
      ['p200', 200],
      ['p5b', 5],
      ['none-b', undefined],
    ]
    for (const [body, priority] of sends) {
      ch.sendToQueue(queue, Buffer.from(body), priority === undefined ? {} : { priority })
    }
    await sync(ch)
    const order: string[] = []
    for (;;) {
      const m = await ch.get(queue, { noAck: true })
      if (!m) break
      order.push(`${m.content.toString()}:${m.properties.priority ?? '-'}`)
    }
    assert.deepEqual(order, [
      'p5:5',
      'p9:9',
      'p200:200',
      'p5b:5',
      'p3:3',
      'p1:1',
      'none-a:-',
      'p0:0',
      'none-b:-',
    ])
    await conn.close()
  })

  test('a requeued message goes back in its priority, ahead of later ones of that priority', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-priority': 2 } })
    ch.sendToQueue(queue, Buffer.from('low'), { priority: 0 })
    ch.sendToQueue(queue, Buffer.from('high1'), { priority: 2 })
    ch.sendToQueue(queue, Buffer.from('high2'), { priority: 2 })
    const first = await getOne(ch, queue)
    assert.equal(first.content.toString(), 'high1')
    ch.nack(first, false, true)
    await sync(ch)
    assert.deepEqual(await drain(ch, queue), ['high1', 'high2', 'low'])
    await conn.close()
  })

  test('without x-max-priority the priority property is ignored', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    ch.sendToQueue(queue, Buffer.from('a'), { priority: 1 })
    ch.sendToQueue(queue, Buffer.from('b'), { priority: 9 })
    await sync(ch)
    assert.deepEqual(await drain(ch, queue), ['a', 'b'])
    await conn.close()
  })
})

describe('consumer priorities (x-priority)', () => {
  test('the highest-priority consumer that has room gets the message; lower ones only when it is full', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.prefetch(2)
    const low = new Inbox()
    const high = new Inbox()
    await ch.consume(queue, low.onMessage, { arguments: { 'x-priority': 1 } })
    await ch.consume(queue, high.onMessage, { arguments: { 'x-priority': 10 } })
    for (const b of ['1', '2', '3', '4', '5']) ch.sendToQueue(queue, Buffer.from(b))
    await low.count(2)
    await high.count(2)
    await sleep(30)
    assert.deepEqual(high.bodies, ['1', '2'])
    assert.deepEqual(low.bodies, ['3', '4'])
    // An ack on the high-priority consumer frees room there first.
    ch.ack(high.messages[0] as amqp.Message)
    await high.count(3)
    assert.deepEqual(high.bodies, ['1', '2', '5'])
    await conn.close()
  })

  test('consumers of equal priority share round-robin', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    const a = new Inbox()
    const b = new Inbox()
    const lower = new Inbox()
    await ch.consume(queue, lower.onMessage, { noAck: true, arguments: { 'x-priority': -5 } })
    await ch.consume(queue, a.onMessage, { noAck: true, arguments: { 'x-priority': 3 } })
    await ch.consume(queue, b.onMessage, { noAck: true, arguments: { 'x-priority': 3 } })
    for (const n of ['1', '2', '3', '4']) ch.sendToQueue(queue, Buffer.from(n))
    await a.count(2)
    await b.count(2)
    await sleep(20)
    assert.deepEqual([a.bodies, b.bodies, lower.bodies], [['1', '3'], ['2', '4'], []])
    await conn.close()
  })
})

describe('single active consumer', () => {
  test('only the first consumer receives; when it cancels, the next takes over', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-single-active-consumer': true },
    })
    const first = new Inbox()
    const second = new Inbox()
    const { consumerTag } = await ch.consume(queue, first.onMessage, { noAck: true })
    await ch.consume(queue, second.onMessage, { noAck: true })
    for (const b of ['1', '2', '3']) ch.sendToQueue(queue, Buffer.from(b))
    await first.count(3)
    await ch.cancel(consumerTag)
    for (const b of ['4', '5']) ch.sendToQueue(queue, Buffer.from(b))
    await second.count(2)
    await sleep(20)
    assert.deepEqual(
      [first.bodies, second.bodies],
      [
        ['1', '2', '3'],
        ['4', '5'],
      ],
    )
    await conn.close()
  })

  test("the active consumer's unacked messages go to the next consumer when its channel closes", async () => {
    const conn = await connect(t)
    const ch1 = await channel(conn)
    const ch2 = await channel(conn)
    const { queue } = await ch1.assertQueue('', {
      exclusive: true,
      arguments: { 'x-single-active-consumer': true },
    })
    const first = new Inbox()
    const second = new Inbox()
    await ch1.consume(queue, first.onMessage)
    await ch2.consume(queue, second.onMessage)
    for (const b of ['1', '2']) ch2.sendToQueue(queue, Buffer.from(b))
    await first.count(2)
    await ch1.close()
    const got = await second.count(2)
    assert.deepEqual(second.bodies, ['1', '2'])
    assert.deepEqual(
      got.map((m) => m.fields.redelivered),
      [true, true],
    )
    await conn.close()
  })
})

describe('exclusive consumers', () => {
  test('a second consumer on a queue with an exclusive consumer: 403', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.consume(queue, () => {}, { exclusive: true })
    const ch2 = await channel(conn)
    assert.deepEqual(await rejection(() => ch2.consume(queue, () => {})), {
      code: 403,
      text: `ACCESS_REFUSED - queue '${queue}' in vhost '/' in exclusive use`,
    })
    await conn.close()
  })

  test('an exclusive consumer on a queue that already has a consumer: 403', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.consume(queue, () => {})
    const ch2 = await channel(conn)
    assert.deepEqual(await rejection(() => ch2.consume(queue, () => {}, { exclusive: true })), {
      code: 403,
      text: `ACCESS_REFUSED - queue '${queue}' in vhost '/' in exclusive use`,
    })
    await conn.close()
  })

  test('reusing a consumer tag on a channel: 530 NOT_ALLOWED, connection closed', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.consume(queue, () => {}, { consumerTag: 'dup' })
    const closed = connectionClosed(conn)
    await ch.consume(queue, () => {}, { consumerTag: 'dup' }).catch(() => {})
    assert.deepEqual(await closed, { code: 530, text: "NOT_ALLOWED - attempt to reuse consumer tag 'dup'" })
  })
})

describe('server-sent basic.cancel', () => {
  test('deleting the queue cancels its consumers (the client sees a null delivery)', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const other = await channel(conn)
    const name = uniqueName('cancel-me')
    await ch.assertQueue(name, { autoDelete: false })
    const inbox = new Inbox()
    await ch.consume(name, inbox.onMessage)
    await other.deleteQueue(name)
    await inbox.untilCancelled()
    // The channel stays usable.
    await ch.checkExchange('amq.direct')
    await conn.close()
  })
})

describe('basic.recover and redelivery', () => {
  test('recover requeues every unacked message of the channel, flagged redelivered', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    for (const b of ['1', '2', '3']) ch.sendToQueue(queue, Buffer.from(b))
    const a = await getOne(ch, queue)
    const b = await getOne(ch, queue)
    assert.deepEqual([a.fields.redelivered, b.fields.redelivered], [false, false])
    ch.ack(a)
    await ch.recover()
    const again: amqp.GetMessage[] = []
    for (let i = 0; i < 2; i++) again.push(await getOne(ch, queue, true))
    assert.deepEqual(
      again.map((m) => `${m.content.toString()}:${m.fields.redelivered}`),
      ['2:true', '3:false'],
    )
    await conn.close()
  })

  test('the delivery tags of recovered messages are dead: acking one is 406 unknown delivery tag', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    ch.sendToQueue(queue, Buffer.from('x'))
    const m = await getOne(ch, queue)
    await ch.recover()
    const closed = channelClosed(ch)
    ch.ack(m)
    assert.deepEqual(await closed, {
      code: 406,
      text: `PRECONDITION_FAILED - unknown delivery tag ${m.fields.deliveryTag}`,
    })
    await conn.close()
  })

  test('a consumer sees redelivered=true after a nack with requeue; requeued messages keep their place', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    for (const b of ['1', '2', '3']) ch.sendToQueue(queue, Buffer.from(b))
    await sync(ch)
    const first = await getOne(ch, queue)
    const second = await getOne(ch, queue)
    ch.nack(second, false, true)
    ch.nack(first, false, true)
    const inbox = new Inbox()
    await ch.consume(queue, inbox.onMessage, { noAck: true })
    const got = await inbox.count(3)
    assert.deepEqual(
      got.map((m) => `${m.content.toString()}:${m.fields.redelivered}`),
      ['1:true', '2:true', '3:false'],
    )
    await conn.close()
  })
})

describe('acknowledgement errors', () => {
  test('ack of an unknown delivery tag: 406 "unknown delivery tag N"', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const closed = channelClosed(ch)
    ch.ack({ fields: { deliveryTag: 99 } } as amqp.Message)
    assert.deepEqual(await closed, { code: 406, text: 'PRECONDITION_FAILED - unknown delivery tag 99' })
    await conn.close()
  })

  test('acking the same tag twice: 406 on the second', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    ch.sendToQueue(queue, Buffer.from('x'))
    const m = await getOne(ch, queue)
    const closed = channelClosed(ch)
    ch.ack(m)
    ch.ack(m)
    assert.deepEqual(await closed, {
      code: 406,
      text: `PRECONDITION_FAILED - unknown delivery tag ${m.fields.deliveryTag}`,
    })
    await conn.close()
  })

  test('reject of an unknown tag and nack multiple of an unknown tag: 406', async () => {
    const conn = await connect(t)
    for (const op of [
      (ch: amqp.Channel) => ch.reject({ fields: { deliveryTag: 7 } } as amqp.Message, false),
      (ch: amqp.Channel) => ch.nack({ fields: { deliveryTag: 7 } } as amqp.Message, true, true),
    ]) {
      const ch = await channel(conn)
      const closed = channelClosed(ch)
      op(ch)
      assert.deepEqual(await closed, { code: 406, text: 'PRECONDITION_FAILED - unknown delivery tag 7' })
    }
    await conn.close()
  })

  test('ack multiple=true with tag 0 acks everything outstanding', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    for (const b of ['1', '2']) ch.sendToQueue(queue, Buffer.from(b))
    await getOne(ch, queue)
    await getOne(ch, queue)
    ch.ackAll()
    await ch.close()
    const ch2 = await channel(conn)
    assert.equal((await ch2.checkQueue(queue)).messageCount, 0)
    await conn.close()
  })
})

describe('prefetch', () => {
  /** Consumes `queue` into an inbox without acking. */
  async function hold(ch: amqp.Channel, queue: string): Promise<Inbox> {
    const inbox = new Inbox()
    await ch.consume(queue, inbox.onMessage)
    return inbox
  }

  async function filledQueue(ch: amqp.Channel, n: number): Promise<string> {
    const { queue } = await ch.assertQueue('', { exclusive: true })
    for (let i = 0; i < n; i++) ch.sendToQueue(queue, Buffer.from(String(i)))
    await sync(ch)
    return queue
  }

  test('per-consumer prefetch (global=false) applies to consumers created after it, not before', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const q1 = await filledQueue(ch, 5)
    const q2 = await filledQueue(ch, 5)
    const unlimited = await hold(ch, q1)
    await ch.prefetch(2, false)
    const limited = await hold(ch, q2)
    await unlimited.count(5)
    await limited.count(2)
    await sleep(50)
    assert.equal(unlimited.messages.length, 5)
    assert.equal(limited.messages.length, 2)
    await conn.close()
  })

  test('per-consumer then global prefetch: both apply', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const q1 = await filledQueue(ch, 5)
    const q2 = await filledQueue(ch, 5)
    await ch.prefetch(2, false)
    await ch.prefetch(3, true)
    const a = await hold(ch, q1)
    const b = await hold(ch, q2)
    await sleep(100)
    assert.deepEqual([a.messages.length, b.messages.length], [2, 1], 'per-consumer 2, channel-wide 3')
    // Acking one frees one slot on the channel (for either consumer), and no more.
    ch.ack(a.messages[0] as amqp.Message)
    await sleep(100)
    assert.equal(a.messages.length + b.messages.length, 4)
    await conn.close()
  })

  test('global then per-consumer prefetch: basic.qos global=false lifts the channel-wide limit', async () => {
    // RabbitMQ 3.10's rabbit_channel handles basic.qos global=false with rabbit_limiter:unlimit_prefetch
    // ("ensures that if default was set, it's overridden"), so a global limit set before it is dropped.
    const conn = await connect(t)
    const ch = await channel(conn)
    const q1 = await filledQueue(ch, 5)
    const q2 = await filledQueue(ch, 5)
    await ch.prefetch(3, true)
    await ch.prefetch(2, false)
    const a = await hold(ch, q1)
    const b = await hold(ch, q2)
    await sleep(100)
    assert.deepEqual([a.messages.length, b.messages.length], [2, 2])
    await conn.close()
  })

  test('global prefetch alone: consumers on one channel share it', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const q1 = await filledQueue(ch, 5)
    const q2 = await filledQueue(ch, 5)
    await ch.prefetch(4, true)
    const a = await hold(ch, q1)
    const b = await hold(ch, q2)
    await sleep(100)
    assert.equal(a.messages.length + b.messages.length, 4)
    await conn.close()
  })

  test('raising the per-consumer prefetch does not change an existing consumer', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const q = await filledQueue(ch, 5)
    await ch.prefetch(1, false)
    const inbox = await hold(ch, q)
    await inbox.count(1)
    await ch.prefetch(10, false)
    await sleep(80)
    assert.equal(inbox.messages.length, 1)
    await conn.close()
  })

  test('basic.get ignores prefetch', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const q = await filledQueue(ch, 3)
    await ch.prefetch(1, true)
    for (let i = 0; i < 3; i++) await getOne(ch, q)
    await conn.close()
  })
})

describe('channel.flow', () => {
  test('active=true is answered with flow-ok active=true', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    assert.deepEqual(await rpc(ch, M.channelFlow, { active: true }, M.channelFlowOk), { active: true })
    await conn.close()
  })

  test('active=false: connection closed with 540 NOT_IMPLEMENTED "active=false"', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const closed = connectionClosed(conn)
    await rpc(ch, M.channelFlow, { active: false }, M.channelFlowOk).catch(() => {})
    assert.deepEqual(await closed, { code: 540, text: 'NOT_IMPLEMENTED - active=false' })
  })
})
