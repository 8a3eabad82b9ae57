// AMQP transactions as RabbitMQ runs them: publishes and acknowledgements are held until tx.commit,
// tx.rollback drops the publishes and puts the acknowledged deliveries back to unacked.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type amqp,
  channel,
  connect,
  drain,
  getOne,
  M,
  rejection,
  rpc,
  sleep,
  sync,
  useTarget,
} from '../helpers/target.js'

const t = useTarget()

const select = (ch: amqp.Channel): Promise<unknown> => rpc(ch, M.txSelect, {}, M.txSelectOk)
const commit = (ch: amqp.Channel): Promise<unknown> => rpc(ch, M.txCommit, {}, M.txCommitOk)
const rollback = (ch: amqp.Channel): Promise<unknown> => rpc(ch, M.txRollback, {}, M.txRollbackOk)

/** A queue holding the given messages, taken with basic.get in ack mode on `ch`. */
async function fetched(
  ch: amqp.Channel,
  bodies: string[],
): Promise<{ queue: string; msgs: amqp.GetMessage[] }> {
  const { queue } = await ch.assertQueue('', { exclusive: true })
  for (const b of bodies) ch.sendToQueue(queue, Buffer.from(b))
  const msgs: amqp.GetMessage[] = []
  for (const _ of bodies) msgs.push(await getOne(ch, queue))
  return { queue, msgs }
}

describe('transactions', () => {
  test('tx.commit and tx.rollback without tx.select: 406', async () => {
    const conn = await connect(t)
    const a = await channel(conn)
    assert.deepEqual(await rejection(() => commit(a)), {
      code: 406,
      text: 'PRECONDITION_FAILED - channel is not transactional',
    })
    const b = await channel(conn)
    assert.deepEqual(await rejection(() => rollback(b)), {
      code: 406,
      text: 'PRECONDITION_FAILED - channel is not transactional',
    })
    await conn.close()
  })

  test('publishes are held until commit; rolled-back publishes never arrive', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const other = await channel(conn)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await select(ch)
    ch.sendToQueue(queue, Buffer.from('rolled-back'))
    await sync(ch)
    assert.equal((await other.checkQueue(queue)).messageCount, 0)
    await rollback(ch)
    ch.sendToQueue(queue, Buffer.from('one'))
    ch.sendToQueue(queue, Buffer.from('two'))
    await sync(ch)
    assert.equal((await other.checkQueue(queue)).messageCount, 0)
    await commit(ch)
    assert.deepEqual(await drain(other, queue), ['one', 'two'])
    await conn.close()
  })

  test('a channel that closes with an open transaction discards its publishes', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const other = await channel(conn)
    const { queue } = await other.assertQueue('', { exclusive: true })
    await select(ch)
    ch.sendToQueue(queue, Buffer.from('lost'))
    await ch.close()
    assert.equal((await other.checkQueue(queue)).messageCount, 0)
    await conn.close()
  })

  test('acks are applied at commit', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue, msgs } = await fetched(ch, ['a', 'b'])
    await select(ch)
    ch.ack(msgs[1] as amqp.GetMessage, true)
    await sync(ch)
    await commit(ch)
    await ch.close()
    const check = await channel(conn)
    assert.equal((await check.checkQueue(queue)).messageCount, 0)
    await conn.close()
  })

  test('rolled-back acks leave the messages unacked: they return when the channel closes', async () => {
    const conn = await connect(t)
    const holder = await channel(conn)
    const other = await channel(conn)
    const { queue, msgs } = await fetched(holder, ['a', 'b', 'c'])
    await select(holder)
    holder.ack(msgs[0] as amqp.GetMessage)
    holder.ack(msgs[2] as amqp.GetMessage)
    await rollback(holder)
    // Still unacked: not ready, not gone.
    assert.equal((await other.checkQueue(queue)).messageCount, 0)
    await holder.close()
    const back = await drain(other, queue)
    assert.deepEqual(back, ['a', 'b', 'c'])
    await conn.close()
  })

  test('after a rollback the same delivery tags can be acked again and committed', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue, msgs } = await fetched(ch, ['a', 'b'])
    await select(ch)
    ch.ack(msgs[1] as amqp.GetMessage, true)
    await rollback(ch)
    ch.ack(msgs[1] as amqp.GetMessage, true)
    await commit(ch)
    await ch.close()
    const other = await channel(conn)
    assert.equal((await other.checkQueue(queue)).messageCount, 0)
    await conn.close()
  })

  test('nack with requeue and reject without requeue take effect at commit', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const other = await channel(conn)
    const { queue, msgs } = await fetched(ch, ['a', 'b'])
    await select(ch)
    ch.nack(msgs[0] as amqp.GetMessage, false, true)
    ch.reject(msgs[1] as amqp.GetMessage, false)
    await sync(ch)
    assert.equal((await other.checkQueue(queue)).messageCount, 0, 'nothing requeued before commit')
    await commit(ch)
    const m = await getOne(other, queue, true)
    assert.equal(m.content.toString(), 'a')
    assert.equal(m.fields.redelivered, true)
    await sleep(20)
    assert.equal(await other.get(queue), false, 'the rejected message is gone')
    await conn.close()
  })

  test('rolled-back nacks and rejects leave the messages unacked', async () => {
    const conn = await connect(t)
    const holder = await channel(conn)
    const other = await channel(conn)
    const { queue, msgs } = await fetched(holder, ['a', 'b'])
    await select(holder)
    holder.nack(msgs[0] as amqp.GetMessage, false, true)
    holder.reject(msgs[1] as amqp.GetMessage, false)
    await rollback(holder)
    assert.equal((await other.checkQueue(queue)).messageCount, 0)
    // Still held by `holder`: they can be acked now, outside the rolled-back work.
    holder.ack(msgs[0] as amqp.GetMessage)
    await commit(holder)
    await holder.close()
    const back = await getOne(other, queue, true)
    assert.equal(back.content.toString(), 'b')
    assert.equal(back.fields.redelivered, true)
    await conn.close()
  })

  test('a committed transaction of publishes and acks together', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const other = await channel(conn)
    const { queue, msgs } = await fetched(ch, ['old'])
    await select(ch)
    ch.ack(msgs[0] as amqp.GetMessage)
    ch.sendToQueue(queue, Buffer.from('new'))
    await commit(ch)
    await ch.close()
    assert.deepEqual(await drain(other, queue), ['new'])
    await conn.close()
  })
})
