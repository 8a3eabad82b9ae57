// x-message-deduplication (issue 14, item 4), as the message-deduplication plugin defines it: a fanout
// exchange that routes a message whose x-deduplication-header it has seen nowhere. A duplicate is
// confirmed (ack), returned NO_ROUTE when mandatory, never sent to an alternate exchange; keys leave the
// cache after x-cache-ttl (exchange argument, policy or message header) or when x-cache-size newer keys
// push them out. Warren's manual clock makes the TTLs instant; the restart tests show a durable
// exchange's cache kept across a restart (the plugin's is not, by default).
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
const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64')

async function dedupSetup(args: Record<string, unknown> = { 'x-cache-size': 100 }) {
  const conn = await amqp.connect(b.url)
  const ch = await conn.createConfirmChannel()
  const ex = `dedup.${Math.random().toString(36).slice(2)}`
  await ch.assertExchange(ex, 'x-message-deduplication', { arguments: args })
  const { queue } = await ch.assertQueue('', { exclusive: true })
  await ch.bindQueue(queue, ex, 'ignored')
  return { conn, ch, ex, queue }
}

function send(ch: amqp.ConfirmChannel, ex: string, body: string, headers?: Record<string, unknown>) {
  ch.publish(ex, 'any-key', Buffer.from(body), headers ? { headers } : {})
}

async function bodies(ch: amqp.Channel, queue: string): Promise<string[]> {
  const got: string[] = []
  for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true }))
    got.push(m.content.toString())
  return got
}

async function exchangeView(ex: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${b.broker.httpUrl}api/exchanges/%2F/${ex}`, { headers: { authorization: auth } })
  return (await res.json()) as Record<string, unknown>
}

describe('x-message-deduplication', () => {
  test('routes like fanout; a seen key is routed nowhere but confirmed; no header: always routed', async () => {
    const { conn, ch, ex, queue } = await dedupSetup()
    send(ch, ex, 'a1', { 'x-deduplication-header': 'a' })
    send(ch, ex, 'a2', { 'x-deduplication-header': 'a' })
    send(ch, ex, 'b1', { 'x-deduplication-header': 'b' })
    send(ch, ex, 'none1')
    send(ch, ex, 'none2')
    send(ch, ex, 'n1', { 'x-deduplication-header': 7 })
    send(ch, ex, 'n2', { 'x-deduplication-header': 7 })
    send(ch, ex, 's7', { 'x-deduplication-header': '7' }) // a string is not the number 7
    await ch.waitForConfirms() // throws if any publish was nacked
    assert.deepEqual(await bodies(ch, queue), ['a1', 'b1', 'none1', 'none2', 'n1', 's7'])
    const view = await exchangeView(ex)
    assert.equal(view['type'], 'x-message-deduplication')
    assert.deepEqual(view['cache_info'], { entries: 4, size: 100 })
    assert.equal(view['messages_deduplicated'], 2)
    await conn.close()
  })

  test('a mandatory duplicate is returned NO_ROUTE and acked; an alternate exchange never gets it', async () => {
    const conn = await amqp.connect(b.url)
    const ch = await conn.createConfirmChannel()
    const ae = `ae.${Math.random().toString(36).slice(2)}`
    await ch.assertExchange(ae, 'fanout')
    const { queue: aeQueue } = await ch.assertQueue('', { exclusive: true })
    await ch.bindQueue(aeQueue, ae, '')
    const ex = `dedup.ae.${Math.random().toString(36).slice(2)}`
    await ch.assertExchange(ex, 'x-message-deduplication', {
      arguments: { 'x-cache-size': 10 },
      alternateExchange: ae,
    })
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.bindQueue(queue, ex, '')
    const returned: string[] = []
    ch.on('return', (m: { fields: { replyCode: number }; content: Buffer }) =>
      returned.push(`${m.fields.replyCode} ${m.content.toString()}`),
    )
    const headers = { 'x-deduplication-header': 'k' }
    ch.publish(ex, '', Buffer.from('first'), { mandatory: true, headers })
    ch.publish(ex, '', Buffer.from('again'), { mandatory: true, headers })
    await ch.waitForConfirms()
    await eventually(() => returned.length === 1)
    assert.deepEqual(returned, ['312 again'])
    assert.deepEqual(await bodies(ch, queue), ['first'])
    assert.deepEqual(await bodies(ch, aeQueue), [])
    await conn.close()
  })

  test('x-cache-ttl: the exchange argument, then a message header overriding it', async () => {
    const { conn, ch, ex, queue } = await dedupSetup({ 'x-cache-size': 10, 'x-cache-ttl': 5000 })
    send(ch, ex, 'k1', { 'x-deduplication-header': 'k' })
    send(ch, ex, 'long1', { 'x-deduplication-header': 'long', 'x-cache-ttl': 60_000 })
    await ch.waitForConfirms()
    clock.advance(4999)
    send(ch, ex, 'k2', { 'x-deduplication-header': 'k' })
    await ch.waitForConfirms()
    clock.advance(1)
    send(ch, ex, 'k3', { 'x-deduplication-header': 'k' })
    send(ch, ex, 'long2', { 'x-deduplication-header': 'long' })
    await ch.waitForConfirms()
    assert.deepEqual(await bodies(ch, queue), ['k1', 'long1', 'k3'])
    clock.advance(60_000) // the sweep drops both keys without a lookup
    await eventually(() => true)
    assert.deepEqual((await exchangeView(ex))['cache_info'], { entries: 0, size: 10 })
    await conn.close()
  })

  test('x-cache-size: a new key pushes the oldest out', async () => {
    const { conn, ch, ex, queue } = await dedupSetup({ 'x-cache-size': 2 })
    for (const k of ['a', 'b', 'c', 'a', 'c']) send(ch, ex, k, { 'x-deduplication-header': k })
    await ch.waitForConfirms()
    assert.deepEqual(await bodies(ch, queue), ['a', 'b', 'c', 'a'])
    await conn.close()
  })

  test('a policy sets x-cache-ttl for exchanges that do not', async () => {
    const put = await fetch(`${b.broker.httpUrl}api/policies/%2F/dedup-ttl`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        pattern: '^dedup\\.pol\\.',
        'apply-to': 'exchanges',
        definition: { 'x-cache-ttl': 1000 },
      }),
    })
    assert.equal(put.status, 201)
    const conn = await amqp.connect(b.url)
    const ch = await conn.createConfirmChannel()
    await ch.assertExchange('dedup.pol.x', 'x-message-deduplication', { arguments: { 'x-cache-size': 5 } })
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.bindQueue(queue, 'dedup.pol.x', '')
    send(ch, 'dedup.pol.x', '1', { 'x-deduplication-header': 'p' })
    send(ch, 'dedup.pol.x', '2', { 'x-deduplication-header': 'p' })
    await ch.waitForConfirms()
    clock.advance(1000)
    send(ch, 'dedup.pol.x', '3', { 'x-deduplication-header': 'p' })
    await ch.waitForConfirms()
    assert.deepEqual(await bodies(ch, queue), ['1', '3'])
    const bad = await fetch(`${b.broker.httpUrl}api/policies/%2F/dedup-bad`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ pattern: '^x', definition: { 'x-cache-ttl': -1 } }),
    })
    assert.equal(bad.status, 400)
    await ch.deleteExchange('dedup.pol.x')
    await fetch(`${b.broker.httpUrl}api/policies/%2F/dedup-ttl`, {
      method: 'DELETE',
      headers: { authorization: auth },
    })
    await conn.close()
  })

  test("declaring: the plugin's 406 texts for x-cache-size, x-cache-ttl and x-cache-persistence", async () => {
    const declare = (args: Record<string, unknown>) => (ch: amqp.Channel) =>
      ch.assertExchange('bad.dedup', 'x-message-deduplication', { arguments: args })
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{}, /Missing or invalid argument, 'x-cache-size' must be an integer greater than 0/],
      [{ 'x-cache-size': 0 }, /'x-cache-size' must be an integer greater than 0/],
      [{ 'x-cache-size': 'ten' }, /'x-cache-size' must be an integer greater than 0/],
      [
        { 'x-cache-size': 5, 'x-cache-ttl': -5 },
        /Invalid argument, 'x-cache-ttl' must be an integer greater than 0/,
      ],
      [
        { 'x-cache-size': 5, 'x-cache-persistence': 'ssd' },
        /'x-cache-persistence' must be either 'disk' or 'memory'/,
      ],
    ]
    for (const [args, text] of cases) {
      const e = await channelError(b.url, declare(args))
      assert.equal(e.code, 406)
      assert.match(e.message, text)
    }
    // A string of digits is accepted, as the plugin parses it.
    const { conn } = await dedupSetup({ 'x-cache-size': '20', 'x-cache-ttl': '1000' })
    await conn.close()
  })

  test('deleting the exchange drops its cache; a new one of the same name starts empty', async () => {
    const conn = await amqp.connect(b.url)
    const ch = await conn.createConfirmChannel()
    const { queue } = await ch.assertQueue('', { exclusive: true })
    for (let round = 0; round < 2; round++) {
      await ch.assertExchange('dedup.again', 'x-message-deduplication', { arguments: { 'x-cache-size': 5 } })
      await ch.bindQueue(queue, 'dedup.again', '')
      send(ch, 'dedup.again', `r${round}`, { 'x-deduplication-header': 'same' })
      await ch.waitForConfirms()
      await ch.deleteExchange('dedup.again')
    }
    assert.deepEqual(await bodies(ch, queue), ['r0', 'r1'])
    await conn.close()
  })
})

describe('x-message-deduplication in definitions', () => {
  test('the exchange and a deduplicating queue are exported and imported with their arguments', async () => {
    const conn = await amqp.connect(b.url)
    const ch = await conn.createConfirmChannel()
    await ch.assertExchange('defs.dedup', 'x-message-deduplication', {
      durable: true,
      arguments: { 'x-cache-size': 42, 'x-cache-ttl': 60_000 },
    })
    await ch.assertQueue('defs.dedup.q', { durable: true, arguments: { 'x-message-deduplication': true } })
    await ch.bindQueue('defs.dedup.q', 'defs.dedup', '')
    const http = (method: string, path: string, body?: unknown) =>
      fetch(`${b.broker.httpUrl}api/${path}`, {
        method,
        headers: { authorization: auth, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
    const defs = (await (await http('GET', 'definitions')).json()) as {
      exchanges: Array<{ name: string; type: string; arguments: unknown }>
      queues: Array<{ name: string; arguments: unknown }>
      bindings: Array<{ source: string }>
    }
    const ex = defs.exchanges.find((e) => e.name === 'defs.dedup')
    assert.deepEqual(ex && { type: ex.type, arguments: ex.arguments }, {
      type: 'x-message-deduplication',
      arguments: { 'x-cache-size': 42, 'x-cache-ttl': 60_000 },
    })
    assert.deepEqual(defs.queues.find((q) => q.name === 'defs.dedup.q')?.arguments, {
      'x-message-deduplication': true,
    })
    await ch.deleteExchange('defs.dedup')
    await ch.deleteQueue('defs.dedup.q')
    const only = {
      exchanges: defs.exchanges.filter((e) => e.name === 'defs.dedup'),
      queues: defs.queues.filter((q) => q.name === 'defs.dedup.q'),
      bindings: defs.bindings.filter((x) => x.source === 'defs.dedup'),
    }
    assert.equal((await http('POST', 'definitions', only)).status, 204)
    const view = await exchangeView('defs.dedup')
    assert.deepEqual(view['cache_info'], { entries: 0, size: 42 })
    send(ch, 'defs.dedup', 'one', { 'x-deduplication-header': 'k' })
    send(ch, 'defs.dedup', 'two', { 'x-deduplication-header': 'k' })
    await ch.waitForConfirms()
    assert.deepEqual(await bodies(ch, 'defs.dedup.q'), ['one'])
    await ch.deleteExchange('defs.dedup')
    await ch.deleteQueue('defs.dedup.q')
    await conn.close()
  })
})

describe('x-message-deduplication across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-dedup-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('a durable exchange keeps its keys (with their TTLs); x-cache-persistence memory does not', async () => {
    const rc = new ManualClock(5_000_000)
    const opts = { amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' as const, dataDir: dir, clock: rc }
    let broker = await startBroker(opts)
    let conn = await amqp.connect(broker.amqpUrl)
    let ch = await conn.createConfirmChannel()
    await ch.assertQueue('kept.q', { durable: true })
    for (const [name, extra] of [
      ['kept', {}],
      ['forgetful', { 'x-cache-persistence': 'memory' }],
    ] as const) {
      await ch.assertExchange(name, 'x-message-deduplication', {
        durable: true,
        arguments: { 'x-cache-size': 100, 'x-cache-ttl': 60_000, ...extra },
      })
      await ch.bindQueue('kept.q', name, '')
    }
    const publish = (ex: string, key: string, ttl?: number) =>
      ch.publish(ex, '', Buffer.from(`${ex}:${key}`), {
        persistent: true,
        headers: { 'x-deduplication-header': key, ...(ttl ? { 'x-cache-ttl': ttl } : {}) },
      })
    publish('kept', 'a')
    publish('kept', 'short', 1000)
    publish('forgetful', 'a')
    await ch.waitForConfirms()
    await conn.close()
    await broker.close()

    rc.advance(5000) // down for 5 s: 'short' expired meanwhile
    broker = await startBroker(opts)
    try {
      conn = await amqp.connect(broker.amqpUrl)
      ch = await conn.createConfirmChannel()
      assert.deepEqual(await bodies(ch, 'kept.q'), ['kept:a', 'kept:short', 'forgetful:a'])
      publish('kept', 'a')
      publish('kept', 'short')
      publish('forgetful', 'a')
      await ch.waitForConfirms()
      assert.deepEqual(await bodies(ch, 'kept.q'), ['kept:short', 'forgetful:a'])
      await conn.close()
    } finally {
      await broker.close()
    }
  })
})
