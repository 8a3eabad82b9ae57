// Message TTL (x-message-ttl and the expiration property) and queue TTL (x-expires) with RabbitMQ 3.10
// classic-queue semantics: the smaller TTL wins, expired messages are never delivered, TTL 0 means
// "deliver now or drop", and expiry happens at the head of the queue only.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  channel,
  connect,
  drain,
  getOne,
  Inbox,
  rejection,
  sleep,
  sync,
  uniqueName,
  useTarget,
  waitForCount,
} from '../helpers/target.js'

const t = useTarget()

describe('message TTL', () => {
  test('x-message-ttl: a message left in the queue past its TTL is gone', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-message-ttl': 40 } })
    ch.sendToQueue(queue, Buffer.from('short-lived'))
    await waitForCount(ch, queue, 0)
    assert.equal(await ch.get(queue), false)
    await conn.close()
  })

  test('per-message expiration alone expires the message', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    ch.sendToQueue(queue, Buffer.from('a'), { expiration: '40' })
    ch.sendToQueue(queue, Buffer.from('b'))
    await sleep(120)
    assert.deepEqual(await drain(ch, queue), ['b'])
    await conn.close()
  })

  test('the smaller of x-message-ttl and expiration wins, either way round', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const queueShort = (await ch.assertQueue('', { exclusive: true, arguments: { 'x-message-ttl': 40 } }))
      .queue
    const queueLong = (await ch.assertQueue('', { exclusive: true, arguments: { 'x-message-ttl': 60000 } }))
      .queue
    ch.sendToQueue(queueShort, Buffer.from('msg-long'), { expiration: '60000' })
    ch.sendToQueue(queueLong, Buffer.from('msg-short'), { expiration: '40' })
    ch.sendToQueue(queueLong, Buffer.from('stays'))
    await sleep(120)
    assert.deepEqual(await drain(ch, queueShort), [])
    assert.deepEqual(await drain(ch, queueLong), ['stays'])
    await conn.close()
  })

  test('the expiration property is delivered unchanged while the message lives', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-message-ttl': 60000 } })
    ch.sendToQueue(queue, Buffer.from('x'), { expiration: '30000' })
    const m = await getOne(ch, queue, true)
    assert.equal(m.properties.expiration, '30000')
    await conn.close()
  })

  test('expired messages are never delivered to a consumer that arrives later', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-message-ttl': 40 } })
    for (const b of ['1', '2', '3']) ch.sendToQueue(queue, Buffer.from(b))
    await sleep(120)
    const inbox = new Inbox()
    await ch.consume(queue, inbox.onMessage, { noAck: true })
    ch.sendToQueue(queue, Buffer.from('fresh'))
    await inbox.count(1)
    await sleep(30)
    assert.deepEqual(inbox.bodies, ['fresh'])
    await conn.close()
  })

  test('TTL 0: dropped at once without a consumer, delivered when a consumer can take it', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-message-ttl': 0 } })
    ch.sendToQueue(queue, Buffer.from('nobody'))
    await sync(ch)
    assert.equal((await ch.checkQueue(queue)).messageCount, 0)
    const plain = (await ch.assertQueue('', { exclusive: true })).queue
    ch.sendToQueue(plain, Buffer.from('zero'), { expiration: '0' })
    await sync(ch)
    assert.equal((await ch.checkQueue(plain)).messageCount, 0)
    const inbox = new Inbox()
    await ch.consume(queue, inbox.onMessage, { noAck: true })
    ch.sendToQueue(queue, Buffer.from('taken'))
    await inbox.count(1)
    assert.deepEqual(inbox.bodies, ['taken'])
    await conn.close()
  })

  test('expiry happens at the head only: an expired message behind a live one is still counted', async () => {
    // RabbitMQ 3.10 classic queues drop expired messages when they reach the head (or on a timer for the
    // head), so queue.declare still counts an expired message waiting behind one that has not expired.
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    ch.sendToQueue(queue, Buffer.from('long'), { expiration: '60000' })
    ch.sendToQueue(queue, Buffer.from('short'), { expiration: '20' })
    await sleep(100)
    assert.equal((await ch.checkQueue(queue)).messageCount, 2)
    assert.deepEqual(await drain(ch, queue), ['long'])
    assert.equal((await ch.checkQueue(queue)).messageCount, 0)
    await conn.close()
  })

  test('once basic.get takes the head, expired messages now at the head are dropped at once', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    ch.sendToQueue(queue, Buffer.from('a'))
    ch.sendToQueue(queue, Buffer.from('b'), { expiration: '20' })
    ch.sendToQueue(queue, Buffer.from('c'))
    await sleep(100)
    assert.equal((await ch.checkQueue(queue)).messageCount, 3)
    const a = await getOne(ch, queue, true)
    assert.equal(a.content.toString(), 'a')
    assert.equal(a.fields.messageCount, 1, 'basic.get-ok message count')
    assert.equal((await ch.checkQueue(queue)).messageCount, 1)
    assert.deepEqual(await drain(ch, queue), ['c'])
    await conn.close()
  })

  test('a delivered message whose TTL passes while unacked is not redelivered after a requeue', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    // 400 ms: long enough for the get to find it on a loaded machine, short enough to pass while unacked.
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-message-ttl': 400 } })
    ch.sendToQueue(queue, Buffer.from('x'))
    const m = await getOne(ch, queue)
    await sleep(600)
    ch.nack(m, false, true)
    await sync(ch)
    assert.equal(await ch.get(queue), false)
    await conn.close()
  })

  test('an invalid x-message-ttl is refused with 406', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const name = uniqueName('bad-ttl')
    const err = await rejection(() =>
      ch.assertQueue(name, { exclusive: true, arguments: { 'x-message-ttl': -1 } }),
    )
    assert.deepEqual(err, {
      code: 406,
      text: `PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue '${name}' in vhost '/': {value_negative,-1}`,
    })
    await conn.close()
  })
})

describe('queue TTL (x-expires)', () => {
  test('an unused queue is deleted after x-expires', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const name = uniqueName('expires')
    await ch.assertQueue(name, { arguments: { 'x-expires': 100 }, autoDelete: false })
    ch.sendToQueue(name, Buffer.from('messages do not keep it alive'))
    await sleep(350)
    assert.deepEqual(await rejection(() => ch.checkQueue(name)), {
      code: 404,
      text: `NOT_FOUND - no queue '${name}' in vhost '/'`,
    })
    await conn.close()
  })

  test('a queue with a consumer is not expired; it goes once the consumer has left', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const name = uniqueName('expires-used')
    await ch.assertQueue(name, { arguments: { 'x-expires': 100 }, autoDelete: false })
    const { consumerTag } = await ch.consume(name, () => {}, { noAck: true })
    await sleep(250)
    await ch.checkQueue(name)
    await ch.cancel(consumerTag)
    await sleep(350)
    assert.equal((await rejection(() => ch.checkQueue(name))).code, 404)
    await conn.close()
  })
})

describe('queue TTL renewed by a redeclare', () => {
  test('a passive or a full redeclare restarts the x-expires countdown, as RabbitMQ counts them as use', async () => {
    const conn = await connect(t)
    for (const passive of [true, false]) {
      const ch = await channel(conn) // the 404 at the end closes it
      const name = uniqueName(passive ? 'expires-passive' : 'expires-redeclare')
      const args = { arguments: { 'x-expires': 600 }, autoDelete: false }
      await ch.assertQueue(name, args)
      await sleep(400)
      if (passive) await ch.checkQueue(name)
      else await ch.assertQueue(name, args)
      await sleep(400) // 800 ms after the declare, 400 ms after the redeclare
      await ch.checkQueue(name)
      await sleep(650)
      assert.equal((await rejection(() => ch.checkQueue(name))).code, 404, `${name} expired in the end`)
    }
    await conn.close()
  })
})

describe('TTLs longer than a Node timer can wait (2^31-1 ms)', () => {
  const THIRTY_DAYS = 30 * 24 * 3600 * 1000
  /** Node emits a TimeoutOverflowWarning for every timer it had to cut to 1 ms. */
  const overflowWarnings = (): { count: number; stop: () => void } => {
    const seen = { count: 0, stop: () => process.off('warning', listener) }
    const listener = (w: Error): void => {
      if (w.name === 'TimeoutOverflowWarning') seen.count++
    }
    process.on('warning', listener)
    return seen
  }

  test('a durable queue with a 30-day x-expires keeps its confirmed messages', async () => {
    const warnings = overflowWarnings()
    const conn = await connect(t)
    const ch = await conn.createConfirmChannel()
    const name = uniqueName('expires-30d')
    await ch.assertQueue(name, { durable: true, arguments: { 'x-expires': THIRTY_DAYS } })
    for (let i = 0; i < 10; i++) ch.sendToQueue(name, Buffer.from(`m${i}`), { persistent: true })
    await ch.waitForConfirms()
    await sleep(300)
    assert.equal((await ch.checkQueue(name)).messageCount, 10)
    await ch.deleteQueue(name)
    await conn.close()
    warnings.stop()
    if (!t.external) assert.equal(warnings.count, 0)
  })

  test('a message with a 30-day TTL stays, and no timer spins while it waits', async () => {
    const warnings = overflowWarnings()
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-message-ttl': THIRTY_DAYS },
    })
    ch.sendToQueue(queue, Buffer.from('queue ttl'))
    ch.sendToQueue(queue, Buffer.from('message ttl'), { expiration: String(THIRTY_DAYS) })
    await sleep(300)
    assert.deepEqual(await drain(ch, queue), ['queue ttl', 'message ttl'])
    await conn.close()
    warnings.stop()
    if (!t.external) assert.equal(warnings.count, 0)
  })
})
