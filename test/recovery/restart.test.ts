// Warren issue 4, clean restart: `warren server` stopped with SIGTERM and started again on the same data
// directory comes back with exactly its durable state. Persistent messages of durable queues are all
// there, in order, with redelivered=true for those that had been delivered and not acked; transient
// messages, non-durable exchanges and queues, and bindings that involve them are gone; durable exchanges,
// queues (with their arguments), bindings (queue and exchange-to-exchange) and vhosts survive.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type amqp from 'amqplib'
import { drainQueue, killAll, startWarren, tempDataDir, type WarrenProcess } from './harness.js'

const ARGS = { 'x-max-length': 1000, 'x-dead-letter-exchange': 'keep.dx', 'x-queue-mode': 'default' }
const PROPS = {
  contentType: 'text/plain',
  contentEncoding: 'utf-8',
  headers: { 'x-n': 7, 'x-s': 'seven', 'x-nested': { a: [1, 'b'] } },
  priority: 3,
  correlationId: 'corr-7',
  replyTo: 'somewhere',
  messageId: 'msg-7',
  timestamp: 1700000000,
  type: 'kind',
  userId: 'guest',
  appId: 'restart-test',
}

/** The id of a message from its body ("q1-7" and so on). */
const bodyOf = (m: amqp.Message): string => m.content.toString()

async function expectClosed(
  conn: amqp.ChannelModel,
  op: (ch: amqp.Channel) => Promise<unknown>,
): Promise<number> {
  const ch = await conn.createChannel()
  ch.on('error', () => undefined)
  try {
    await op(ch)
  } catch (err) {
    return (err as { code: number }).code
  }
  throw new Error('expected the channel to be closed with an error')
}

describe('clean restart (SIGTERM)', () => {
  let data: { dir: string; cleanup: () => Promise<void> }
  let w: WarrenProcess
  /** Bodies of keep.q1's persistent messages, in publish order, and which ones were delivered/acked. */
  const q1Persistent: string[] = []
  const q1Acked = new Set<string>()
  const q1Delivered = new Set<string>()

  before(async () => {
    data = await tempDataDir('restart')
    w = await startWarren(data.dir)
  })
  after(async () => {
    await killAll()
    await data.cleanup()
  })

  test('set up: topology, persistent and transient messages, deliveries left unacked, then SIGTERM', async () => {
    const vh = await w.http('PUT', 'api/vhosts/keep-vh', {})
    assert.equal(vh.status, 201)

    const conn = await w.connect()
    const ch = await conn.createConfirmChannel()
    await ch.assertExchange('keep.dx', 'direct', { durable: true })
    await ch.assertExchange('keep.fan', 'fanout', { durable: true })
    await ch.assertQueue('keep.q1', { durable: true })
    await ch.assertQueue('keep.q2', { durable: true })
    await ch.assertQueue('keep.args', { durable: true, arguments: ARGS })
    await ch.bindQueue('keep.q1', 'keep.dx', 'k1')
    await ch.bindQueue('keep.q2', 'keep.dx', 'k2')
    await ch.bindExchange('keep.dx', 'keep.fan', '')
    // Transient objects, and bindings that touch them: none of this may come back.
    await ch.assertExchange('gone.tx', 'direct', { durable: false })
    await ch.assertQueue('gone.q', { durable: false })
    await ch.bindQueue('gone.q', 'keep.dx', 'k1')
    await ch.bindQueue('keep.q1', 'gone.tx', 'x')
    await ch.bindExchange('keep.dx', 'gone.tx', 'k1')

    // keep.q1: every third message transient.
    for (let i = 0; i < 30; i++) {
      const persistent = i % 3 !== 2
      const body = `q1-${i}`
      if (persistent) q1Persistent.push(body)
      ch.publish('keep.dx', 'k1', Buffer.from(body), { persistent, ...(i === 7 ? PROPS : {}) })
    }
    // keep.q2 through the exchange-to-exchange binding.
    for (let i = 0; i < 10; i++) ch.publish('keep.fan', 'k2', Buffer.from(`q2-${i}`), { persistent: true })
    for (let i = 0; i < 5; i++) ch.sendToQueue('keep.args', Buffer.from(`args-${i}`), { persistent: true })
    ch.sendToQueue('gone.q', Buffer.from('gone'), { persistent: true })
    await ch.waitForConfirms()

    const vconn = await w.connect('keep-vh')
    const vch = await vconn.createConfirmChannel()
    await vch.assertQueue('vq', { durable: true })
    vch.sendToQueue('vq', Buffer.from('in a vhost'), { persistent: true })
    await vch.waitForConfirms()
    await vconn.close()

    // A consumer (prefetch 6) acks the first two deliveries of keep.q1 and keeps the rest; basic.get takes
    // one of keep.q2 and keeps it.
    const cch = await conn.createChannel()
    await cch.prefetch(6)
    const got: amqp.Message[] = []
    let six!: () => void
    const sixArrived = new Promise<void>((r) => (six = r))
    const { consumerTag } = await cch.consume('keep.q1', (m) => {
      if (m && got.push(m) === 6) six()
    })
    await sixArrived
    assert.deepEqual(got.map(bodyOf), ['q1-0', 'q1-1', 'q1-2', 'q1-3', 'q1-4', 'q1-5'])
    cch.ack(got[0] as amqp.Message)
    cch.ack(got[1] as amqp.Message)
    q1Acked.add('q1-0').add('q1-1')
    // The acks make room for up to two more deliveries (q1-6, q1-7), which may or may not go out before
    // the cancel. Once cancel-ok is in, every delivery there was has arrived.
    await cch.cancel(consumerTag)
    for (const m of got) q1Delivered.add(bodyOf(m))
    const g = await cch.get('keep.q2')
    assert.ok(g && bodyOf(g) === 'q2-0')
    // A round trip on the channel: everything before it has been handled.
    await cch.checkQueue('keep.q1')

    const exit = await w.stop()
    assert.deepEqual(exit, { code: 0, signal: null }, w.transcript())
    assert.ok(
      w.logs.some((l) => l.msg === 'broker stopped'),
      w.transcript(),
    )
  })

  test('restart: the recovery summary counts exactly the persistent, unacked messages', async () => {
    w = await startWarren(data.dir)
    // keep.q1: 20 persistent - 2 acked; keep.q2: 10; keep.args: 5; vq: 1.
    const line = w.logs.find((l) => /^recovered \d+ messages/.test(l.msg))
    assert.equal(line?.msg, 'recovered 34 messages in 4 durable queues', w.transcript())
    assert.deepEqual(w.warnings, [], 'a clean restart warns about nothing')
  })

  test('durable queues hold exactly their persistent messages, in order, flagged redelivered if delivered', async () => {
    const conn = await w.connect()
    const ch = await conn.createChannel()
    assert.equal((await ch.checkQueue('keep.q1')).messageCount, 18)
    assert.equal((await ch.checkQueue('keep.q2')).messageCount, 10)
    assert.equal((await ch.checkQueue('keep.args')).messageCount, 5)

    const q1 = await drainQueue(ch, 'keep.q1')
    const expected = q1Persistent.filter((b) => !q1Acked.has(b))
    assert.deepEqual(
      q1.map((d) => bodyOf(d.message)),
      expected,
    )
    assert.deepEqual(
      q1.filter((d) => d.redelivered).map((d) => bodyOf(d.message)),
      expected.filter((b) => q1Delivered.has(b)),
    )
    for (const b of ['q1-3', 'q1-4']) assert.ok(q1.find((d) => bodyOf(d.message) === b)?.redelivered, b)
    // Properties come back as published.
    const seven = q1.find((d) => bodyOf(d.message) === 'q1-7')?.message
    assert.ok(seven)
    const { headers, ...rest } = PROPS
    for (const [k, v] of Object.entries(rest))
      assert.deepEqual(seven.properties[k as keyof typeof rest], v, k)
    assert.deepEqual(seven.properties.headers, headers)
    assert.equal(seven.properties.deliveryMode, 2)
    assert.equal(seven.fields.exchange, 'keep.dx')
    assert.equal(seven.fields.routingKey, 'k1')

    const q2 = await drainQueue(ch, 'keep.q2')
    assert.deepEqual(
      q2.map((d) => [bodyOf(d.message), d.redelivered]),
      Array.from({ length: 10 }, (_, i) => [`q2-${i}`, i === 0]),
    )
    const args = await drainQueue(ch, 'keep.args')
    assert.deepEqual(
      args.map((d) => bodyOf(d.message)),
      ['args-0', 'args-1', 'args-2', 'args-3', 'args-4'],
    )
    await conn.close()

    const vconn = await w.connect('keep-vh')
    const vch = await vconn.createChannel()
    const vq = await drainQueue(vch, 'vq')
    assert.deepEqual(
      vq.map((d) => bodyOf(d.message)),
      ['in a vhost'],
    )
    await vconn.close()
  })

  test('durable exchanges, queue arguments and bindings survive; transient ones do not', async () => {
    const conn = await w.connect()
    const ch = await conn.createConfirmChannel()
    await ch.checkExchange('keep.dx')
    await ch.checkExchange('keep.fan')
    // Same arguments: fine. Different ones: 406, so the stored arguments are the declared ones.
    await ch.assertQueue('keep.args', { durable: true, arguments: ARGS })
    assert.equal(
      await expectClosed(conn, (c) =>
        c.assertQueue('keep.args', { durable: true, arguments: { ...ARGS, 'x-max-length': 999 } }),
      ),
      406,
    )
    assert.equal(await expectClosed(conn, (c) => c.checkExchange('gone.tx')), 404)
    assert.equal(await expectClosed(conn, (c) => c.checkQueue('gone.q')), 404)

    // Routing through the surviving bindings, including keep.fan -> keep.dx.
    ch.publish('keep.dx', 'k1', Buffer.from('after-1'), { persistent: true })
    ch.publish('keep.fan', 'k2', Buffer.from('after-2'), { persistent: true })
    await ch.waitForConfirms()
    assert.equal(bodyOf((await ch.get('keep.q1', { noAck: true })) as amqp.Message), 'after-1')
    assert.equal(bodyOf((await ch.get('keep.q2', { noAck: true })) as amqp.Message), 'after-2')
    // keep.q1 was bound to gone.tx too: recreating gone.tx must not bring that binding back.
    await ch.assertExchange('gone.tx', 'direct', { durable: false })
    ch.publish('gone.tx', 'x', Buffer.from('nowhere'))
    ch.publish('gone.tx', 'k1', Buffer.from('nowhere'))
    await ch.waitForConfirms()
    assert.equal(await ch.get('keep.q1', { noAck: true }), false)
    await ch.deleteExchange('gone.tx')
    await conn.close()

    // The file says the same (RabbitMQ's definitions export shape).
    const defs = JSON.parse(await readFile(join(data.dir, 'definitions.json'), 'utf8')) as {
      vhosts: Array<{ name: string }>
      exchanges: Array<{ name: string }>
      queues: Array<{ name: string; arguments: unknown }>
      bindings: Array<{ source: string; destination: string; routing_key: string }>
    }
    assert.deepEqual(defs.vhosts.map((v) => v.name).sort(), ['/', 'keep-vh'])
    assert.deepEqual(defs.exchanges.map((e) => e.name).sort(), ['keep.dx', 'keep.fan'])
    assert.deepEqual(defs.queues.map((q) => q.name).sort(), ['keep.args', 'keep.q1', 'keep.q2', 'vq'])
    assert.deepEqual(defs.queues.find((q) => q.name === 'keep.args')?.arguments, ARGS)
    assert.deepEqual(defs.bindings.map((b) => `${b.source}>${b.destination}:${b.routing_key}`).sort(), [
      'keep.dx>keep.q1:k1',
      'keep.dx>keep.q2:k2',
      'keep.fan>keep.dx:',
    ])
  })

  test('what was consumed before a clean stop stays consumed', async () => {
    const exit = await w.stop()
    assert.deepEqual(exit, { code: 0, signal: null }, w.transcript())
    w = await startWarren(data.dir)
    assert.equal(
      w.logs.find((l) => /^recovered \d+ messages/.test(l.msg))?.msg,
      'recovered 0 messages in 4 durable queues',
    )
    const conn = await w.connect()
    const ch = await conn.createChannel()
    for (const q of ['keep.q1', 'keep.q2', 'keep.args'])
      assert.equal((await ch.checkQueue(q)).messageCount, 0, q)
    await conn.close()
    assert.deepEqual(await w.stop(), { code: 0, signal: null })
  })
})
