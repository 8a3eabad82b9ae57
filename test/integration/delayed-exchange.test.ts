// x-delayed-message (issue 14, item 1), as RabbitMQ's delayed-message plugin defines it: x-delayed-type
// names the type that routes a message once its x-delay (ms) has passed; messages without a positive
// integer delay are routed at once; a mandatory delayed message is returned (NO_ROUTE) at publish, as
// the plugin returns it; the delivered message carries x-delay negated. Warren's manual clock makes the
// delays instant; the restart test shows persistent delayed messages kept across a restart.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import amqp from 'amqplib'
import { ManualClock, startBroker } from '../../src/index.js'
import { channelError, eventually, useBroker } from '../helpers/broker.js'

const clock = new ManualClock(1_000_000)
const b = useBroker({ clock })

async function delayedSetup(type = 'direct', args: Record<string, unknown> = {}) {
  const conn = await amqp.connect(b.url)
  const ch = await conn.createConfirmChannel()
  const ex = `delayed.${Math.random().toString(36).slice(2)}`
  await ch.assertExchange(ex, 'x-delayed-message', { arguments: { 'x-delayed-type': type, ...args } })
  const { queue } = await ch.assertQueue('', { exclusive: true })
  return { conn, ch, ex, queue }
}

async function count(ch: amqp.Channel, queue: string): Promise<number> {
  return (await ch.checkQueue(queue)).messageCount
}

describe('x-delayed-message', () => {
  test('a message with x-delay is routed by the underlying type once due, with x-delay negated', async () => {
    const { conn, ch, ex, queue } = await delayedSetup('direct')
    await ch.bindQueue(queue, ex, 'k')
    ch.publish(ex, 'k', Buffer.from('later'), { headers: { 'x-delay': 5000, other: 'kept' } })
    ch.publish(ex, 'other-key', Buffer.from('unroutable later'), { headers: { 'x-delay': 5000 } })
    await ch.waitForConfirms()
    assert.equal(await count(ch, queue), 0)
    clock.advance(4999)
    assert.equal(await count(ch, queue), 0)
    clock.advance(1)
    await eventually(() => true)
    assert.equal(await count(ch, queue), 1)
    const m = await ch.get(queue, { noAck: true })
    assert.ok(m)
    assert.equal(m.content.toString(), 'later')
    assert.equal(m.fields.exchange, ex)
    assert.equal(m.fields.routingKey, 'k')
    assert.equal(m.properties.headers?.['x-delay'], -5000)
    assert.equal(m.properties.headers?.['other'], 'kept')
    await conn.close()
  })

  test('messages leave in due order, equal due times in publish order', async () => {
    const { conn, ch, ex, queue } = await delayedSetup('fanout')
    await ch.bindQueue(queue, ex, '')
    for (const [body, delay] of [
      ['c', 300],
      ['a', 100],
      ['b1', 200],
      ['b2', 200],
    ] as const)
      ch.publish(ex, '', Buffer.from(body), { headers: { 'x-delay': delay } })
    await ch.waitForConfirms()
    clock.advance(1000)
    const got: string[] = []
    for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true }))
      got.push(m.content.toString())
    assert.deepEqual(got, ['a', 'b1', 'b2', 'c'])
    await conn.close()
  })

  test('no x-delay, zero, negative, a string or a double: routed at once', async () => {
    const { conn, ch, ex, queue } = await delayedSetup('topic')
    await ch.bindQueue(queue, ex, 'a.#')
    ch.publish(ex, 'a.b', Buffer.from('none'))
    ch.publish(ex, 'a.b', Buffer.from('zero'), { headers: { 'x-delay': 0 } })
    ch.publish(ex, 'a.b', Buffer.from('negative'), { headers: { 'x-delay': -10 } })
    ch.publish(ex, 'a.b', Buffer.from('string'), { headers: { 'x-delay': '5000' } })
    ch.publish(ex, 'a.b', Buffer.from('double'), { headers: { 'x-delay': { '!': 'double', value: 5000.5 } } })
    await ch.waitForConfirms()
    assert.equal(await count(ch, queue), 5)
    await conn.close()
  })

  test('a mandatory delayed message is returned NO_ROUTE at publish (as the plugin does), then delivered', async () => {
    const { conn, ch, ex, queue } = await delayedSetup('direct')
    await ch.bindQueue(queue, ex, 'k')
    const returned: string[] = []
    ch.on('return', (m: amqp.Message) => {
      const f = m.fields as unknown as { replyCode: number; replyText: string }
      returned.push(`${f.replyCode} ${f.replyText}`)
    })
    ch.publish(ex, 'k', Buffer.from('x'), { mandatory: true, headers: { 'x-delay': 100 } })
    ch.publish(ex, 'k', Buffer.from('y'), { mandatory: true })
    await ch.waitForConfirms()
    assert.deepEqual(returned, ['312 NO_ROUTE'])
    clock.advance(100)
    assert.equal(await count(ch, queue), 2)
    await conn.close()
  })

  test('CC keys, exchange-to-exchange bindings and headers routing apply when due', async () => {
    const { conn, ch, ex, queue } = await delayedSetup('headers')
    await ch.bindQueue(queue, ex, '', { 'x-match': 'all', kind: 'order' })
    const conn2 = await amqp.connect(b.url)
    const ch2 = await conn2.createConfirmChannel()
    const { queue: q2 } = await ch2.assertQueue('', { exclusive: true })
    const fan = `fan.${Math.random().toString(36).slice(2)}`
    await ch.assertExchange(fan, 'fanout', { autoDelete: true })
    await ch.bindExchange(ex, fan, '')
    await ch2.bindQueue(q2, fan, '')
    ch.publish(fan, '', Buffer.from('via fanout'), { headers: { 'x-delay': 50, kind: 'order' } })
    await ch.waitForConfirms()
    assert.equal(await count(ch2, q2), 1) // the fanout's own queue has it at once
    assert.equal(await count(ch, queue), 0)
    clock.advance(50)
    assert.equal(await count(ch, queue), 1)
    await conn2.close()
    await conn.close()
  })

  test('the exchange lists its delayed messages; deleting it drops them', async () => {
    const { conn, ch, ex, queue } = await delayedSetup('direct')
    await ch.bindQueue(queue, ex, 'k')
    for (let i = 0; i < 3; i++) ch.publish(ex, 'k', Buffer.from(`m${i}`), { headers: { 'x-delay': 1000 } })
    await ch.waitForConfirms()
    const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64')
    const res = await fetch(`${b.broker.httpUrl}api/exchanges/%2F/${ex}`, {
      headers: { authorization: auth },
    })
    const view = (await res.json()) as Record<string, unknown>
    assert.equal(view['type'], 'x-delayed-message')
    assert.equal(view['messages_delayed'], 3)
    assert.deepEqual(view['arguments'], { 'x-delayed-type': 'direct' })
    await ch.deleteExchange(ex)
    clock.advance(1000)
    assert.equal(await count(ch, queue), 0)
    await conn.close()
  })

  test('declaring: x-delayed-type is required, must be a known type, and cannot be x-delayed-message', async () => {
    const declare = (args: Record<string, unknown>) => (ch: amqp.Channel) =>
      ch.assertExchange('bad.delayed', 'x-delayed-message', { arguments: args })
    const missing = await channelError(b.url, declare({}))
    assert.equal(missing.code, 406)
    assert.match(
      missing.message,
      /"PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type"/,
    )
    // An unknown type: 503 COMMAND_INVALID closes the connection, as for any unknown exchange type.
    const conn = await amqp.connect(b.url)
    const closed = new Promise<unknown>((r) => conn.once('error', r))
    const ch = await conn.createChannel()
    ch.on('error', () => undefined)
    await declare({ 'x-delayed-type': 'nope' })(ch).catch(() => undefined)
    assert.match(String(await closed), /503 \(COMMAND-INVALID\).*unknown exchange type 'nope'/)
    const self = await channelError(b.url, declare({ 'x-delayed-type': 'x-delayed-message' }))
    assert.equal(self.code, 406)
    assert.match(self.message, /'x-delayed-message' can't be used for 'x-delayed-type'/)
  })

  test("binding checks are the underlying type's (x-consistent-hash weights)", async () => {
    const { conn, ch, ex } = await delayedSetup('x-consistent-hash')
    ch.on('error', () => undefined)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await assert.rejects(ch.bindQueue(queue, ex, 'not-a-weight'), /406/)
    await conn.close().catch(() => undefined)
  })
})

describe('x-delayed-message across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-delayed-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('persistent delayed messages of a durable exchange survive a restart; late ones go at once', async () => {
    const rc = new ManualClock(5_000_000)
    const opts = { amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' as const, dataDir: dir, clock: rc }
    let broker = await startBroker(opts)
    let conn = await amqp.connect(broker.amqpUrl)
    let ch = await conn.createConfirmChannel()
    await ch.assertExchange('later', 'x-delayed-message', {
      durable: true,
      arguments: { 'x-delayed-type': 'direct' },
    })
    await ch.assertQueue('later.q', { durable: true })
    await ch.bindQueue('later.q', 'later', 'k')
    ch.publish('later', 'k', Buffer.from('due in 1s'), { persistent: true, headers: { 'x-delay': 1000 } })
    ch.publish('later', 'k', Buffer.from('due in 10s'), { persistent: true, headers: { 'x-delay': 10_000 } })
    ch.publish('later', 'k', Buffer.from('transient'), { headers: { 'x-delay': 1000 } })
    await ch.waitForConfirms()
    await conn.close()
    await broker.close()

    rc.advance(5000) // down for 5 s: the first is late
    broker = await startBroker(opts)
    try {
      conn = await amqp.connect(broker.amqpUrl)
      ch = await conn.createConfirmChannel()
      rc.advance(0)
      await eventually(() => true)
      let m = await ch.get('later.q', { noAck: true })
      for (let i = 0; !m && i < 50; i++) {
        await new Promise((r) => setTimeout(r, 10))
        m = await ch.get('later.q', { noAck: true })
      }
      assert.ok(m, 'the late message was not routed after the restart')
      assert.equal(m.content.toString(), 'due in 1s')
      assert.equal(m.properties.headers?.['x-delay'], -1000)
      assert.equal(await ch.get('later.q'), false)
      rc.advance(5000)
      for (let i = 0; (await count(ch, 'later.q')) === 0 && i < 50; i++)
        await new Promise((r) => setTimeout(r, 10))
      const last = await ch.get('later.q', { noAck: true })
      assert.ok(last)
      assert.equal(last.content.toString(), 'due in 10s')
      assert.equal(await ch.get('later.q'), false) // the transient one did not outlive the broker
      await conn.close()
    } finally {
      await broker.close()
    }
  })
})
