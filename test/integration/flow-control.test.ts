import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { amqp, eventually, useBroker } from '../helpers/broker.js'

const ctx = useBroker()

describe('resource alarms block publishers (connection.blocked)', () => {
  test('a publishing connection is blocked during an alarm and resumes after it; consumers go on', async () => {
    const broker = ctx.broker.broker
    const pubConn = await amqp.connect(ctx.url)
    const subConn = await amqp.connect(ctx.url)
    const events: string[] = []
    pubConn.on('blocked', (reason: string) => events.push(`blocked: ${reason}`))
    pubConn.on('unblocked', () => events.push('unblocked'))
    const pub = await pubConn.createChannel()
    const sub = await subConn.createChannel()
    const { queue } = await sub.assertQueue('', { exclusive: true })
    const received: string[] = []
    await sub.consume(queue, (m) => m && received.push(m.content.toString()), { noAck: true })
    pub.sendToQueue(queue, Buffer.from('before'))
    await eventually(() => received.length === 1, 10_000)

    broker.setAlarm('memory', true)
    await eventually(() => events.length === 1, 10_000)
    assert.deepEqual(events, ['blocked: low on memory'])
    pub.sendToQueue(queue, Buffer.from('during-1'))
    pub.sendToQueue(queue, Buffer.from('during-2'))
    await new Promise((r) => setTimeout(r, 100))
    // A connection that has published is no longer read while the alarm lasts.
    assert.deepEqual(received, ['before'])

    broker.setAlarm('memory', false)
    await eventually(() => received.length === 3, 10_000)
    assert.deepEqual(received, ['before', 'during-1', 'during-2'])
    assert.deepEqual(events, ['blocked: low on memory', 'unblocked'])
    await pubConn.close()
    await subConn.close()
  })

  test('a connection that never published is not blocked', async () => {
    const broker = ctx.broker.broker
    const conn = await amqp.connect(ctx.url)
    let blocked = false
    conn.on('blocked', () => (blocked = true))
    const ch = await conn.createChannel()
    broker.setAlarm('disk', true)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    assert.equal((await ch.checkQueue(queue)).messageCount, 0)
    assert.equal(blocked, false)
    broker.setAlarm('disk', false)
    await conn.close()
  })
})
