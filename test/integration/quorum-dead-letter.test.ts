// x-dead-letter-strategy on quorum queues, on an in-process Warren with a manual clock (RabbitMQ retries
// held dead letters every 180 s, too long for a run against it; what follows was observed on 3.10.8):
// - at-least-once (with reject-publish and a dead-letter exchange): a dead letter no queue takes stays
//   with the source queue, counted neither ready nor unacked but against its length limit, and reaches
//   the dead-letter queue on the next try once something is bound;
// - at-most-once, and at-least-once without reject-publish (RabbitMQ falls back to at-most-once): it is
//   dropped.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type amqp from 'amqplib'
import { ManualClock } from '../../src/index.js'
import {
  confirmChannel,
  connect,
  getOne,
  sleep,
  type Target,
  uniqueName,
  useTarget,
} from '../helpers/target.js'

const clock = new ManualClock(1_000_000)
const broker = useTarget({ clock })
// The clock moves minutes at a time: heartbeats (on the same clock) are off.
const t: Target = {
  external: false,
  get url() {
    return `${broker.url}?heartbeat=0`
  },
  get broker() {
    return broker.broker
  },
}
const RETRY_MS = 180_000

async function setup(
  ch: amqp.ConfirmChannel,
  args: Record<string, unknown>,
): Promise<{ q: string; dlx: string; dlq: string }> {
  const q = uniqueName('qq-dl')
  const dlx = uniqueName('qq-dlx')
  const dlq = uniqueName('qq-dlq')
  await ch.assertQueue(q, {
    durable: true,
    arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': dlx, ...args },
  })
  return { q, dlx, dlq }
}

const publish = (ch: amqp.ConfirmChannel, q: string, body: string): Promise<boolean> =>
  new Promise((resolve) => ch.sendToQueue(q, Buffer.from(body), {}, (err) => resolve(!err)))

async function bindLater(ch: amqp.ConfirmChannel, dlx: string, dlq: string): Promise<void> {
  await ch.assertExchange(dlx, 'fanout')
  await ch.assertQueue(dlq, { durable: true })
  await ch.bindQueue(dlq, dlx, '')
}

describe('x-dead-letter-strategy', () => {
  test('at-least-once holds an unroutable dead letter, counts it against the limit, retries it', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const { q, dlx, dlq } = await setup(ch, {
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
      'x-max-length': 2,
    })
    assert.deepEqual([await publish(ch, q, '1'), await publish(ch, q, '2')], [true, true])
    ch.reject(await getOne(ch, q), false)
    await sleep(20)
    // Held: not ready (declare-ok counts 1), but the queue is full (1 ready + 1 held): the next publish
    // is taken (it goes over) and the one after refused, as RabbitMQ 3.10.8 answered.
    assert.equal((await ch.checkQueue(q)).messageCount, 1)
    assert.deepEqual([await publish(ch, q, '3'), await publish(ch, q, '4')], [true, false])
    await bindLater(ch, dlx, dlq)
    clock.advance(RETRY_MS - 1)
    await sleep(20)
    assert.equal(await ch.get(dlq), false, 'not before the retry')
    clock.advance(1)
    const dead = await getOne(ch, dlq)
    assert.equal(dead.content.toString(), '1')
    assert.equal(dead.properties.headers?.['x-first-death-reason'], 'rejected')
    ch.ack(dead)
    await conn.close()
  })

  test('at-most-once (the default) drops an unroutable dead letter', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    for (const args of [
      { 'x-overflow': 'reject-publish' },
      // at-least-once needs reject-publish; with drop-head RabbitMQ falls back to at-most-once.
      { 'x-dead-letter-strategy': 'at-least-once' },
    ]) {
      const { q, dlx, dlq } = await setup(ch, args)
      await publish(ch, q, 'gone')
      ch.reject(await getOne(ch, q), false)
      await sleep(20)
      await bindLater(ch, dlx, dlq)
      clock.advance(RETRY_MS)
      await sleep(50)
      assert.equal(await ch.get(dlq), false, JSON.stringify(args))
    }
    await conn.close()
  })

  test('at-least-once into a routable exchange dead-letters at once', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const { q, dlx, dlq } = await setup(ch, {
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    })
    await bindLater(ch, dlx, dlq)
    await publish(ch, q, 'now')
    ch.nack(await getOne(ch, q), false, false)
    assert.equal((await getOne(ch, dlq, true)).content.toString(), 'now')
    await conn.close()
  })
})
