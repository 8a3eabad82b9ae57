// Credit flow: a publisher into a queue whose consumer cannot keep up (its socket is full) is held back,
// and let go when the queue catches up or the consumer goes away.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { amqp, eventually, useBroker } from '../helpers/broker.js'
import { RawClient } from '../helpers/raw-client.js'

const ctx = useBroker()

test('a publisher held back by a consumer that stopped reading is released when that consumer leaves', async () => {
  // A consumer that never reads its socket: deliveries pile up until the broker holds publishers back.
  const stuck = await RawClient.openUrl(ctx.url, {}, [1])
  await stuck.call(1, 'queue.declare', { queue: 'credit.q', autoDelete: false }, 'queue.declare-ok')
  await stuck.call(
    1,
    'basic.consume',
    { queue: 'credit.q', noAck: true, consumerTag: 'stuck' },
    'basic.consume-ok',
  )
  stuck.socket.pause()

  const conn = await amqp.connect(ctx.url)
  const ch = await conn.createConfirmChannel()
  const body = Buffer.alloc(4 * 1024, 7)
  let confirmed = 0
  for (let i = 0; i < 12_000; i++) ch.sendToQueue('credit.q', body, {}, (err) => !err && confirmed++)
  const q = ctx.broker.broker.vhost('/').queues.get('credit.q')
  assert.ok(q)
  await eventually(() => q.congested, 10_000)
  await new Promise((r) => setTimeout(r, 100)) // what was read before the hold is confirmed by now
  const heldAt = confirmed
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(
    confirmed,
    heldAt,
    `the publisher is held back while the consumer is stuck (ready ${q.readyCount})`,
  )
  assert.ok(heldAt < 12_000)

  stuck.destroy() // the consumer goes away: its queue no longer waits for it
  await eventually(() => confirmed === 12_000, 10_000)
  await ch.deleteQueue('credit.q')
  await conn.close()
})
