// Queue length limits (x-max-length, x-max-length-bytes) and the overflow behaviours drop-head,
// reject-publish and reject-publish-dlx, as RabbitMQ 3.10 classic queues apply them: limits count ready
// messages only (not unacked ones), and a publish is refused when it would take the queue over a limit.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type amqp,
  channel,
  confirmChannel,
  connect,
  drain,
  getOne,
  rejection,
  sync,
  uniqueName,
  useTarget,
} from '../helpers/target.js'

const t = useTarget()

/** Publishes bodies on a confirm channel and returns 'ack'/'nack' per publish. */
async function publishConfirmed(ch: amqp.ConfirmChannel, queue: string, bodies: string[]): Promise<string[]> {
  const out = bodies.map(
    (b) =>
      new Promise<string>((resolve) =>
        ch.sendToQueue(queue, Buffer.from(b), {}, (err) => resolve(err ? 'nack' : 'ack')),
      ),
  )
  return Promise.all(out)
}

describe('x-max-length', () => {
  test('drop-head (the default) keeps the newest messages', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length': 2 } })
    assert.deepEqual(await publishConfirmed(ch, queue, ['1', '2', '3', '4', '5']), [
      'ack',
      'ack',
      'ack',
      'ack',
      'ack',
    ])
    assert.deepEqual(await drain(ch, queue), ['4', '5'])
    await conn.close()
  })

  test('x-max-length 0 with drop-head keeps nothing', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length': 0 } })
    ch.sendToQueue(queue, Buffer.from('x'))
    await sync(ch)
    assert.equal((await ch.checkQueue(queue)).messageCount, 0)
    await conn.close()
  })

  test('reject-publish refuses publishes once full, and accepts again when there is room', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const { queue } = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' },
    })
    assert.deepEqual(await publishConfirmed(ch, queue, ['1', '2', '3']), ['ack', 'ack', 'nack'])
    await getOne(ch, queue, true)
    assert.deepEqual(await publishConfirmed(ch, queue, ['4', '5']), ['ack', 'nack'])
    assert.deepEqual(await drain(ch, queue), ['2', '4'])
    await conn.close()
  })

  test('unacked messages do not count towards the limit', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const { queue } = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
    })
    assert.deepEqual(await publishConfirmed(ch, queue, ['a']), ['ack'])
    const held = await getOne(ch, queue)
    assert.deepEqual(await publishConfirmed(ch, queue, ['b', 'c']), ['ack', 'nack'])
    // The unacked one comes back on top of the limit.
    ch.nack(held, false, true)
    await sync(ch)
    assert.equal((await ch.checkQueue(queue)).messageCount, 2)
    assert.deepEqual(await drain(ch, queue), ['a', 'b'])
    await conn.close()
  })

  test('with drop-head, unacked messages are not dropped', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length': 1 } })
    ch.sendToQueue(queue, Buffer.from('held'))
    const held = await getOne(ch, queue)
    ch.sendToQueue(queue, Buffer.from('b'))
    ch.sendToQueue(queue, Buffer.from('c'))
    await sync(ch)
    ch.ack(held)
    assert.deepEqual(await drain(ch, queue), ['c'])
    await conn.close()
  })
})

describe('x-max-length-bytes', () => {
  test('drop-head drops from the head until the body bytes fit', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length-bytes': 10 } })
    for (const b of ['aaaa', 'bbbb', 'cccc']) ch.sendToQueue(queue, Buffer.from(b))
    await sync(ch)
    assert.deepEqual(await drain(ch, queue), ['bbbb', 'cccc'])
    await conn.close()
  })

  test('reject-publish refuses a message that would go over; one that exactly fits is accepted', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const { queue } = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-max-length-bytes': 10, 'x-overflow': 'reject-publish' },
    })
    assert.deepEqual(await publishConfirmed(ch, queue, ['aaaa', 'bbbb', 'cccc', 'dd', 'e']), [
      'ack',
      'ack',
      'nack',
      'ack',
      'nack',
    ])
    assert.deepEqual(await drain(ch, queue), ['aaaa', 'bbbb', 'dd'])
    await conn.close()
  })

  test('both limits: whichever is reached first applies', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-max-length': 3, 'x-max-length-bytes': 6 },
    })
    for (const b of ['1', '2', '3', '4']) ch.sendToQueue(queue, Buffer.from(b))
    ch.sendToQueue(queue, Buffer.from('55555'))
    await sync(ch)
    assert.deepEqual(await drain(ch, queue), ['4', '55555'])
    await conn.close()
  })
})

describe('overflow argument validation', () => {
  test('an unknown x-overflow value is refused with 406', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const name = uniqueName('bad-overflow')
    assert.deepEqual(
      await rejection(() =>
        ch.assertQueue(name, { exclusive: true, arguments: { 'x-overflow': 'drop-tail' } }),
      ),
      {
        code: 406,
        text: `PRECONDITION_FAILED - invalid arg 'x-overflow' for queue '${name}' in vhost '/': invalid_overflow`,
      },
    )
    await conn.close()
  })

  test('a negative x-max-length is refused with 406', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const name = uniqueName('bad-maxlen')
    assert.deepEqual(
      await rejection(() => ch.assertQueue(name, { exclusive: true, arguments: { 'x-max-length': -1 } })),
      {
        code: 406,
        text: `PRECONDITION_FAILED - invalid arg 'x-max-length' for queue '${name}' in vhost '/': {value_negative,-1}`,
      },
    )
    await conn.close()
  })
})
