// Dead-lettering as RabbitMQ 3.10 writes it. Checked against the reference broker: the x-death table of a
// first death lists count, reason, queue, time (a timestamp), exchange, routing-keys (with CC keys, not
// BCC ones) and original-expiration in that order; a later death re-sorts the table it adds or bumps by
// key and puts it first, keeping the first event's time; x-first-death-* are set once; there are no
// x-last-death-* headers; the message's headers come out sorted by key and its expiration is removed.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type amqp,
  channel,
  confirmChannel,
  connect,
  drain,
  getOne,
  sleep,
  sync,
  uniqueName,
  useTarget,
  waitForCount,
} from '../helpers/target.js'

const t = useTarget()

interface Setup {
  ch: amqp.Channel
  /** Source exchange (direct) the test publishes to; `source` is bound to it with 'k1'. */
  ex: string
  source: string
  dlx: string
  /** Bound to the dead-letter exchange (direct) with 'k1'. */
  dlq: string
  /** Bound to the dead-letter exchange with 'k2' and 'other'. */
  dlq2: string
}

async function setup(conn: amqp.ChannelModel, sourceArgs: Record<string, unknown>): Promise<Setup> {
  const ch = await channel(conn)
  const ex = uniqueName('dl-src-ex')
  const dlx = uniqueName('dlx')
  await ch.assertExchange(ex, 'direct', { autoDelete: true })
  await ch.assertExchange(dlx, 'direct', { autoDelete: true })
  const dlq = (await ch.assertQueue('', { exclusive: true })).queue
  const dlq2 = (await ch.assertQueue('', { exclusive: true })).queue
  await ch.bindQueue(dlq, dlx, 'k1')
  await ch.bindQueue(dlq2, dlx, 'k2')
  await ch.bindQueue(dlq2, dlx, 'other')
  const source = (
    await ch.assertQueue('', { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx, ...sourceArgs } })
  ).queue
  await ch.bindQueue(source, ex, 'k1')
  return { ch, ex, source, dlx, dlq, dlq2 }
}

async function cleanup(s: Setup): Promise<void> {
  await s.ch.deleteExchange(s.ex)
  await s.ch.deleteExchange(s.dlx)
}

type Headers = Record<string, unknown>

/** Checks the time field is an AMQP timestamp within the test's time window, then drops it. */
function withoutTime(death: unknown, from: number, to: number): Headers {
  const d = { ...(death as Headers) }
  const time = d['time'] as { '!': string; value: number }
  assert.equal(time['!'], 'timestamp', 'x-death time is a timestamp field')
  assert.ok(
    time.value >= Math.floor(from / 1000) && time.value <= Math.ceil(to / 1000),
    'time in seconds, now',
  )
  d['time'] = 'checked'
  return d
}

function deaths(m: amqp.GetMessage): unknown[] {
  return (m.properties.headers as Headers)['x-death'] as unknown[]
}

describe('dead-letter reasons', () => {
  test('reject without requeue: one x-death entry, exactly as RabbitMQ 3.10 writes it', async () => {
    const conn = await connect(t)
    const s = await setup(conn, {})
    const before = Date.now()
    s.ch.publish(s.ex, 'k1', Buffer.from('body'), {
      CC: ['k9'],
      expiration: '60000',
      headers: { z: 'last', a: 'first' },
      priority: 3,
      messageId: 'mid',
    })
    const m = await getOne(s.ch, s.source)
    s.ch.reject(m, false)
    const d = await getOne(s.ch, s.dlq, true)
    const after = Date.now()
    assert.equal(d.content.toString(), 'body')
    assert.equal(d.fields.exchange, s.dlx)
    assert.equal(d.fields.routingKey, 'k1')
    assert.equal(d.fields.redelivered, false)
    const headers = d.properties.headers as Headers
    assert.deepEqual(Object.keys(headers), [
      'CC',
      'a',
      'x-death',
      'x-first-death-exchange',
      'x-first-death-queue',
      'x-first-death-reason',
      'z',
    ])
    const [death, ...more] = deaths(d)
    assert.equal(more.length, 0)
    assert.deepEqual(Object.keys(death as Headers), [
      'count',
      'reason',
      'queue',
      'time',
      'exchange',
      'routing-keys',
      'original-expiration',
    ])
    assert.deepEqual(withoutTime(death, before, after), {
      count: 1,
      reason: 'rejected',
      queue: s.source,
      time: 'checked',
      exchange: s.ex,
      'routing-keys': ['k1', 'k9'],
      'original-expiration': '60000',
    })
    assert.equal(headers['x-first-death-reason'], 'rejected')
    assert.equal(headers['x-first-death-queue'], s.source)
    assert.equal(headers['x-first-death-exchange'], s.ex)
    assert.deepEqual(headers['CC'], ['k9'])
    assert.equal(d.properties.expiration, undefined, 'expiration moves into x-death')
    assert.equal(d.properties.priority, 3)
    assert.equal(d.properties.messageId, 'mid')
    await cleanup(s)
    await conn.close()
  })

  test('nack without requeue (multiple) dead-letters each message as rejected, in order', async () => {
    const conn = await connect(t)
    const s = await setup(conn, {})
    for (const b of ['1', '2', '3']) s.ch.publish(s.ex, 'k1', Buffer.from(b))
    await getOne(s.ch, s.source)
    await getOne(s.ch, s.source)
    const last = await getOne(s.ch, s.source)
    s.ch.nack(last, true, false)
    await waitForCount(s.ch, s.dlq, 3)
    const got: amqp.GetMessage[] = []
    for (let i = 0; i < 3; i++) got.push(await getOne(s.ch, s.dlq, true))
    assert.deepEqual(
      got.map((m) => m.content.toString()),
      ['1', '2', '3'],
    )
    for (const m of got) {
      const [death] = deaths(m) as Headers[]
      assert.equal(death?.['reason'], 'rejected')
      assert.deepEqual(death?.['routing-keys'], ['k1'])
      assert.equal('original-expiration' in (death as Headers), false)
    }
    await cleanup(s)
    await conn.close()
  })

  test('requeue=true never dead-letters', async () => {
    const conn = await connect(t)
    const s = await setup(conn, {})
    s.ch.publish(s.ex, 'k1', Buffer.from('x'))
    s.ch.nack(await getOne(s.ch, s.source), false, true)
    s.ch.reject(await getOne(s.ch, s.source), true)
    await sync(s.ch)
    assert.equal((await s.ch.checkQueue(s.dlq)).messageCount, 0)
    assert.equal((await s.ch.checkQueue(s.source)).messageCount, 1)
    await cleanup(s)
    await conn.close()
  })

  test('expiry: reason expired; per-message expiration recorded as original-expiration', async () => {
    const conn = await connect(t)
    const s = await setup(conn, { 'x-message-ttl': 30 })
    const before = Date.now()
    s.ch.publish(s.ex, 'k1', Buffer.from('queue-ttl'))
    s.ch.publish(s.ex, 'k1', Buffer.from('msg-ttl'), { expiration: '10' })
    await waitForCount(s.ch, s.dlq, 2)
    const a = await getOne(s.ch, s.dlq, true)
    const b = await getOne(s.ch, s.dlq, true)
    const after = Date.now()
    assert.deepEqual([a.content.toString(), b.content.toString()], ['queue-ttl', 'msg-ttl'])
    assert.deepEqual(withoutTime(deaths(a)[0], before, after), {
      count: 1,
      reason: 'expired',
      queue: s.source,
      time: 'checked',
      exchange: s.ex,
      'routing-keys': ['k1'],
    })
    assert.deepEqual(withoutTime(deaths(b)[0], before, after), {
      count: 1,
      reason: 'expired',
      queue: s.source,
      time: 'checked',
      exchange: s.ex,
      'routing-keys': ['k1'],
      'original-expiration': '10',
    })
    assert.equal(b.properties.expiration, undefined)
    assert.equal((a.properties.headers as Headers)['x-first-death-reason'], 'expired')
    await cleanup(s)
    await conn.close()
  })

  test('max length (drop-head): the dropped head is dead-lettered as maxlen', async () => {
    const conn = await connect(t)
    const s = await setup(conn, { 'x-max-length': 1 })
    s.ch.publish(s.ex, 'k1', Buffer.from('old'))
    s.ch.publish(s.ex, 'k1', Buffer.from('new'))
    const d = await getOne(s.ch, s.dlq, true)
    assert.equal(d.content.toString(), 'old')
    assert.equal((deaths(d)[0] as Headers)['reason'], 'maxlen')
    assert.equal((d.properties.headers as Headers)['x-first-death-reason'], 'maxlen')
    assert.deepEqual(await drain(s.ch, s.source), ['new'])
    await cleanup(s)
    await conn.close()
  })

  test('reject-publish-dlx: the refused publish is nacked and dead-lettered as maxlen', async () => {
    const conn = await connect(t)
    const s = await setup(conn, { 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' })
    const cc = await confirmChannel(conn)
    const verdicts = await Promise.all(
      ['kept', 'refused'].map(
        (b) =>
          new Promise<string>((resolve) =>
            cc.publish(s.ex, 'k1', Buffer.from(b), {}, (err) => resolve(err ? 'nack' : 'ack')),
          ),
      ),
    )
    assert.deepEqual(verdicts, ['ack', 'nack'])
    const d = await getOne(s.ch, s.dlq, true)
    assert.equal(d.content.toString(), 'refused')
    assert.equal((deaths(d)[0] as Headers)['reason'], 'maxlen')
    assert.deepEqual(await drain(s.ch, s.source), ['kept'])
    await cleanup(s)
    await conn.close()
  })

  test('reject-publish (without -dlx) does not dead-letter', async () => {
    const conn = await connect(t)
    const s = await setup(conn, { 'x-max-length': 1, 'x-overflow': 'reject-publish' })
    s.ch.publish(s.ex, 'k1', Buffer.from('kept'))
    s.ch.publish(s.ex, 'k1', Buffer.from('refused'))
    await sync(s.ch)
    await sleep(20)
    assert.equal((await s.ch.checkQueue(s.dlq)).messageCount, 0)
    await cleanup(s)
    await conn.close()
  })
})

describe('dead-letter routing', () => {
  test('x-dead-letter-routing-key replaces the key and drops CC; x-death keeps the original keys', async () => {
    const conn = await connect(t)
    const s = await setup(conn, { 'x-dead-letter-routing-key': 'other' })
    s.ch.publish(s.ex, 'k1', Buffer.from('m'), { CC: ['k2'] })
    s.ch.reject(await getOne(s.ch, s.source), false)
    const d = await getOne(s.ch, s.dlq2, true)
    assert.equal(d.fields.routingKey, 'other')
    const headers = d.properties.headers as Headers
    assert.equal('CC' in headers, false)
    assert.deepEqual((deaths(d)[0] as Headers)['routing-keys'], ['k1', 'k2'])
    await sync(s.ch)
    assert.equal((await s.ch.checkQueue(s.dlq)).messageCount, 0, 'routed by the new key only')
    await cleanup(s)
    await conn.close()
  })

  test('without x-dead-letter-routing-key the CC keys route again, and so do BCC keys', async () => {
    // Surprising but observed on RabbitMQ 3.10: the BCC header is gone and BCC keys are not listed in
    // x-death routing-keys, yet the dead-lettered message is still routed with them.
    const conn = await connect(t)
    const s = await setup(conn, {})
    await s.ch.bindQueue(s.source, s.ex, 'bcc-key')
    const dlqBcc = (await s.ch.assertQueue('', { exclusive: true })).queue
    await s.ch.bindQueue(dlqBcc, s.dlx, 'bcc-key')
    s.ch.publish(s.ex, 'k1', Buffer.from('cc'), { CC: ['k2'] })
    s.ch.reject(await getOne(s.ch, s.source), false)
    s.ch.publish(s.ex, 'k1', Buffer.from('bcc'), { BCC: ['bcc-key'] })
    s.ch.reject(await getOne(s.ch, s.source), false)
    await waitForCount(s.ch, s.dlq, 2)
    const viaK1 = [await getOne(s.ch, s.dlq, true), await getOne(s.ch, s.dlq, true)]
    assert.deepEqual(
      viaK1.map((m) => m.content.toString()),
      ['cc', 'bcc'],
    )
    assert.deepEqual(await drain(s.ch, s.dlq2), ['cc'])
    const viaBcc = await getOne(s.ch, dlqBcc, true)
    assert.equal(viaBcc.content.toString(), 'bcc')
    assert.deepEqual((deaths(viaBcc)[0] as Headers)['routing-keys'], ['k1'])
    assert.equal('BCC' in (viaBcc.properties.headers as Headers), false)
    await cleanup(s)
    await conn.close()
  })

  test('a dead-letter exchange that does not exist: the message is dropped', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { queue } = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-dead-letter-exchange': uniqueName('no-such-dlx') },
    })
    ch.sendToQueue(queue, Buffer.from('x'))
    ch.reject(await getOne(ch, queue), false)
    await sync(ch)
    assert.equal((await ch.checkQueue(queue)).messageCount, 0)
    await conn.close()
  })

  test('dead-lettering to the default exchange by x-dead-letter-routing-key', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const target = (await ch.assertQueue('', { exclusive: true })).queue
    const { queue } = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': target },
    })
    ch.sendToQueue(queue, Buffer.from('x'))
    ch.reject(await getOne(ch, queue), false)
    const d = await getOne(ch, target, true)
    assert.equal(d.fields.exchange, '')
    assert.equal(d.fields.routingKey, target)
    assert.equal((deaths(d)[0] as Headers)['exchange'], '')
    assert.deepEqual((deaths(d)[0] as Headers)['routing-keys'], [queue])
    await conn.close()
  })
})

describe('repeated deaths and cycles', () => {
  test('rejecting into itself again and again: count grows, the table is sorted, first-death stays', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const q = uniqueName('dl-self')
    await ch.assertQueue(q, {
      exclusive: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q },
    })
    ch.sendToQueue(q, Buffer.from('m'), { headers: { z: 1, b: 2 } })
    for (let i = 0; i < 3; i++) ch.reject(await getOne(ch, q), false)
    const m = await getOne(ch, q, true)
    const headers = m.properties.headers as Headers
    assert.deepEqual(Object.keys(headers), [
      'b',
      'x-death',
      'x-first-death-exchange',
      'x-first-death-queue',
      'x-first-death-reason',
      'z',
    ])
    const [death, ...more] = deaths(m) as Headers[]
    assert.equal(more.length, 0)
    assert.deepEqual(Object.keys(death as Headers), [
      'count',
      'exchange',
      'queue',
      'reason',
      'routing-keys',
      'time',
    ])
    assert.equal(death?.['count'], 3)
    assert.equal(death?.['reason'], 'rejected')
    assert.equal(headers['x-first-death-reason'], 'rejected')
    assert.equal(m.fields.redelivered, false)
    await conn.close()
  })

  test('a queue that dead-letters expired messages to itself drops them (cycle)', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const q = uniqueName('dl-exp-self')
    await ch.assertQueue(q, {
      exclusive: true,
      arguments: { 'x-message-ttl': 20, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q },
    })
    ch.sendToQueue(q, Buffer.from('m'))
    await sleep(150)
    assert.equal((await ch.checkQueue(q)).messageCount, 0)
    await conn.close()
  })

  test('expiry in A, reject in B, back to A: not a cycle, entries bumped and reordered', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const a = uniqueName('dl-a')
    const b = uniqueName('dl-b')
    await ch.assertQueue(a, {
      exclusive: true,
      arguments: { 'x-message-ttl': 20, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': b },
    })
    await ch.assertQueue(b, {
      exclusive: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': a },
    })
    ch.sendToQueue(a, Buffer.from('m'), { expiration: '5000' })
    const first = await getOne(ch, b)
    const d1 = deaths(first) as Headers[]
    assert.deepEqual(
      d1.map((d) => [d['queue'], d['reason'], d['count']]),
      [[a, 'expired', 1]],
    )
    assert.equal(d1[0]?.['original-expiration'], '5000')
    ch.reject(first, false)
    const second = await getOne(ch, b)
    const d2 = deaths(second) as Headers[]
    assert.deepEqual(
      d2.map((d) => [d['queue'], d['reason'], d['count']]),
      [
        [a, 'expired', 2],
        [b, 'rejected', 1],
      ],
    )
    assert.deepEqual(Object.keys(d2[0] as Headers), [
      'count',
      'exchange',
      'original-expiration',
      'queue',
      'reason',
      'routing-keys',
      'time',
    ])
    assert.deepEqual(Object.keys(d2[1] as Headers), [
      'count',
      'exchange',
      'queue',
      'reason',
      'routing-keys',
      'time',
    ])
    assert.deepEqual((d2[1] as Headers)['routing-keys'], [b])
    const h = second.properties.headers as Headers
    assert.equal(h['x-first-death-queue'], a)
    assert.equal(h['x-first-death-reason'], 'expired')
    assert.equal('x-last-death-queue' in h, false, 'RabbitMQ 3.10 has no x-last-death-* headers')
    ch.ack(second)
    await conn.close()
  })

  test('two queues dead-lettering expired messages to each other: dropped when it would re-enter', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const a = uniqueName('dl-ping')
    const b = uniqueName('dl-pong')
    const watch = (await ch.assertQueue('', { exclusive: true })).queue
    const fan = uniqueName('dl-fan')
    // A dead-letters to b through a fanout that also copies to `watch`, so each lap is visible.
    await ch.assertExchange(fan, 'fanout', { autoDelete: true })
    await ch.assertQueue(a, {
      exclusive: true,
      arguments: { 'x-message-ttl': 10, 'x-dead-letter-exchange': fan },
    })
    await ch.assertQueue(b, {
      exclusive: true,
      arguments: { 'x-message-ttl': 10, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': a },
    })
    await ch.bindQueue(b, fan, '')
    await ch.bindQueue(watch, fan, '')
    ch.sendToQueue(a, Buffer.from('m'))
    await sleep(200)
    assert.equal((await ch.checkQueue(a)).messageCount, 0)
    assert.equal((await ch.checkQueue(b)).messageCount, 0)
    // a → fan reached b and watch; b → a found a in x-death with no rejection since: dropped there.
    assert.deepEqual(await drain(ch, watch), ['m'])
    await ch.deleteExchange(fan)
    await conn.close()
  })
})
