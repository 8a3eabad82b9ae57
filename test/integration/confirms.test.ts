// Publisher confirms as RabbitMQ gives them: sequence numbers from 1, acks that may cover several
// publishes at once, unroutable messages confirmed at once, mandatory returns before their confirm,
// nacks for reject-publish overflow, and no mixing with transactions on one channel.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  channel,
  confirmChannel,
  connect,
  drain,
  M,
  rejection,
  rpc,
  uniqueName,
  useTarget,
} from '../helpers/target.js'

const t = useTarget()

interface ConfirmEvent {
  kind: 'ack' | 'nack'
  tag: number
  multiple: boolean
}

/** Records the broker's basic.ack/basic.nack frames on a confirm channel, in arrival order. */
function recordConfirms(ch: {
  on(e: string, f: (x: { deliveryTag: number; multiple: boolean }) => void): unknown
}): ConfirmEvent[] {
  const events: ConfirmEvent[] = []
  ch.on('ack', (f) => events.push({ kind: 'ack', tag: f.deliveryTag, multiple: f.multiple }))
  ch.on('nack', (f) => events.push({ kind: 'nack', tag: f.deliveryTag, multiple: f.multiple }))
  return events
}

/** Expands confirm frames into one verdict per sequence number, checking no number is confirmed twice. */
function verdicts(events: readonly ConfirmEvent[]): Map<number, 'ack' | 'nack'> {
  const out = new Map<number, 'ack' | 'nack'>()
  let upTo = 0
  for (const e of events) {
    assert.ok(e.tag > upTo, `confirm tags increase: ${e.tag} after ${upTo}`)
    const from = e.multiple ? upTo + 1 : e.tag
    for (let s = from; s <= e.tag; s++) {
      assert.ok(!out.has(s), `sequence ${s} confirmed twice`)
      out.set(s, e.kind)
    }
    upTo = e.tag
  }
  return out
}

describe('publisher confirms', () => {
  test('every publish is confirmed once, sequence numbers counting from 1', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const events = recordConfirms(ch)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    const n = 500
    const callbacks: number[] = []
    for (let i = 1; i <= n; i++) {
      ch.sendToQueue(queue, Buffer.from(String(i)), {}, (err) => {
        assert.equal(err, null)
        callbacks.push(i)
      })
    }
    await ch.waitForConfirms()
    const v = verdicts(events)
    assert.deepEqual(
      [...v.keys()].sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => i + 1),
    )
    assert.ok([...v.values()].every((k) => k === 'ack'))
    assert.equal(callbacks.length, n)
    assert.equal((await ch.checkQueue(queue)).messageCount, n)
    await conn.close()
  })

  test('a multiple=true ack confirms every earlier unconfirmed publish', async () => {
    // Both brokers coalesce the acks of a burst; amqplib resolves every callback it covers.
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const events = recordConfirms(ch)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    const body = Buffer.alloc(64)
    for (let i = 0; i < 2000; i++) ch.sendToQueue(queue, body)
    await ch.waitForConfirms()
    assert.ok(
      events.some((e) => e.multiple),
      'at least one ack with multiple=true',
    )
    assert.equal(verdicts(events).size, 2000)
    await conn.close()
  })

  test('an unroutable publish is acked at once', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const events = recordConfirms(ch)
    const ex = uniqueName('confirm-nowhere')
    await ch.assertExchange(ex, 'direct', { autoDelete: false })
    await new Promise<void>((resolve, reject) =>
      ch.publish(ex, 'no-such-key', Buffer.from('x'), {}, (err) => (err ? reject(err) : resolve())),
    )
    assert.deepEqual(events, [{ kind: 'ack', tag: 1, multiple: false }])
    await ch.deleteExchange(ex)
    await conn.close()
  })

  test('mandatory and unroutable: basic.return 312 NO_ROUTE arrives before the ack', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const order: string[] = []
    ch.on(
      'return',
      (m: { fields: { replyCode: number; replyText: string; exchange: string; routingKey: string } }) =>
        order.push(
          `return ${m.fields.replyCode} ${m.fields.replyText} '${m.fields.exchange}' ${m.fields.routingKey}`,
        ),
    )
    ch.on('ack', (f: { deliveryTag: number }) => order.push(`ack ${f.deliveryTag}`))
    const key = uniqueName('nobody-home')
    ch.publish('', key, Buffer.from('x'), { mandatory: true })
    await ch.waitForConfirms()
    assert.deepEqual(order, [`return 312 NO_ROUTE '' ${key}`, 'ack 1'])
    await conn.close()
  })

  test('x-overflow reject-publish: the publish that does not fit is nacked, the rest acked', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const events = recordConfirms(ch)
    const { queue } = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' },
    })
    const results: string[] = []
    for (const body of ['a', 'b', 'c', 'd']) {
      ch.sendToQueue(queue, Buffer.from(body), {}, (err) => results.push(`${body}:${err ? 'nack' : 'ack'}`))
    }
    await ch.waitForConfirms().catch(() => {})
    const v = verdicts(events)
    assert.deepEqual(
      [...v.entries()],
      [
        [1, 'ack'],
        [2, 'ack'],
        [3, 'nack'],
        [4, 'nack'],
      ],
    )
    assert.deepEqual(results, ['a:ack', 'b:ack', 'c:nack', 'd:nack'])
    assert.deepEqual(await drain(ch, queue), ['a', 'b'])
    await conn.close()
  })

  test('confirm.select on a transactional channel: 406', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    await rpc(ch, M.txSelect, {}, M.txSelectOk)
    const err = await rejection(() => rpc(ch, (85 << 16) | 10, { nowait: false }, (85 << 16) | 11))
    assert.deepEqual(err, { code: 406, text: 'PRECONDITION_FAILED - cannot switch from tx to confirm mode' })
    await conn.close()
  })

  test('tx.select on a confirm channel: 406', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const err = await rejection(() => rpc(ch, M.txSelect, {}, M.txSelectOk))
    assert.deepEqual(err, { code: 406, text: 'PRECONDITION_FAILED - cannot switch from confirm to tx mode' })
    await conn.close()
  })

  test('confirm.select twice is fine, and sequence numbers keep counting', async () => {
    const conn = await connect(t)
    const ch = await confirmChannel(conn)
    const events = recordConfirms(ch)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    ch.sendToQueue(queue, Buffer.from('1'))
    await ch.waitForConfirms()
    await rpc(ch, (85 << 16) | 10, { nowait: false }, (85 << 16) | 11)
    ch.sendToQueue(queue, Buffer.from('2'))
    await ch.waitForConfirms()
    assert.deepEqual(events, [
      { kind: 'ack', tag: 1, multiple: false },
      { kind: 'ack', tag: 2, multiple: false },
    ])
    await conn.close()
  })
})
