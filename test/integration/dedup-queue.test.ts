// The message-deduplication plugin's queue argument (issue 14, item 4): a queue declared with
// x-message-deduplication true does not enqueue a message whose x-deduplication-header is the key of a
// message still in it (ready or unacked); the publisher's confirm acks the duplicate (the plugin nacks
// it, see docs/compatibility.md). The key is free again once that message leaves: acked, fetched with
// no-ack, dead-lettered by TTL, purged. The cache shows in /api/queues; a restart keeps the keys of the
// messages it keeps.
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

async function setup(args: Record<string, unknown> = {}) {
  const conn = await amqp.connect(b.url)
  const ch = await conn.createConfirmChannel()
  const { queue } = await ch.assertQueue('', {
    exclusive: true,
    arguments: { 'x-message-deduplication': true, ...args },
  })
  return { conn, ch, queue }
}

function send(ch: amqp.ConfirmChannel, queue: string, body: string, key?: string) {
  ch.sendToQueue(
    queue,
    Buffer.from(body),
    key === undefined ? {} : { headers: { 'x-deduplication-header': key } },
  )
}

async function depth(ch: amqp.Channel, queue: string): Promise<number> {
  return (await ch.checkQueue(queue)).messageCount
}

describe('x-message-deduplication queue argument', () => {
  test('a key of a message in the queue is refused (and acked) until that message is acked', async () => {
    const { conn, ch, queue } = await setup()
    send(ch, queue, 'a1', 'a')
    send(ch, queue, 'a2', 'a')
    send(ch, queue, 'b1', 'b')
    send(ch, queue, 'plain')
    send(ch, queue, 'plain')
    await ch.waitForConfirms()
    assert.equal(await depth(ch, queue), 4)
    const res = await fetch(`${b.broker.httpUrl}api/queues/%2F/${encodeURIComponent(queue)}`, {
      headers: { authorization: auth },
    })
    const view = (await res.json()) as Record<string, unknown>
    assert.deepEqual(view['message_deduplication_cache_info'], { entries: 2 })
    assert.equal(view['messages_deduplicated'], 1)
    const first = await ch.get(queue) // unacked: its key still holds
    assert.ok(first)
    assert.equal(first.content.toString(), 'a1')
    send(ch, queue, 'a3', 'a')
    await ch.waitForConfirms()
    assert.equal(await depth(ch, queue), 3)
    ch.ack(first)
    send(ch, queue, 'a4', 'a')
    await ch.waitForConfirms()
    const rest: string[] = []
    for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true }))
      rest.push(m.content.toString())
    assert.deepEqual(rest, ['b1', 'plain', 'plain', 'a4'])
    send(ch, queue, 'b2', 'b') // b1 was taken with no-ack: gone, key free
    await ch.waitForConfirms()
    assert.equal(await depth(ch, queue), 1)
    await conn.close()
  })

  test('expiry (dead-lettering) and purge free the keys', async () => {
    const { conn, ch, queue } = await setup({ 'x-message-ttl': 1000 })
    send(ch, queue, 'x1', 'x')
    await ch.waitForConfirms()
    clock.advance(1000)
    await eventually(() => true)
    send(ch, queue, 'x2', 'x')
    send(ch, queue, 'y1', 'y')
    await ch.waitForConfirms()
    assert.equal(await depth(ch, queue), 2)
    await ch.purgeQueue(queue)
    send(ch, queue, 'x3', 'x')
    await ch.waitForConfirms()
    assert.equal(await depth(ch, queue), 1)
    await conn.close()
  })

  test('the argument must be a boolean', async () => {
    const e = await channelError(b.url, (ch) =>
      ch.assertQueue('dedup.bad', { arguments: { 'x-message-deduplication': 'yes' } }),
    )
    assert.equal(e.code, 406)
    assert.match(e.message, /invalid arg 'x-message-deduplication'/)
  })

  test('a policy turns it on (and off); an argument of false wins over the policy', async () => {
    const conn = await amqp.connect(b.url)
    const ch = await conn.createConfirmChannel()
    await ch.assertQueue('dedup.pol.on', { exclusive: true })
    await ch.assertQueue('dedup.pol.off', {
      exclusive: true,
      arguments: { 'x-message-deduplication': false },
    })
    const policy = (method: string, body?: unknown) =>
      fetch(`${b.broker.httpUrl}api/policies/%2F/dedup-queues`, {
        method,
        headers: { authorization: auth, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
    const put = await policy('PUT', {
      pattern: '^dedup\\.pol\\.',
      'apply-to': 'queues',
      definition: { 'x-message-deduplication': true },
    })
    assert.equal(put.status, 201)
    for (const q of ['dedup.pol.on', 'dedup.pol.off'])
      for (const body of ['x', 'y']) send(ch, q, body, 'same')
    await ch.waitForConfirms()
    assert.equal(await depth(ch, 'dedup.pol.on'), 1)
    assert.equal(await depth(ch, 'dedup.pol.off'), 2)
    assert.equal((await policy('DELETE')).status, 204)
    send(ch, 'dedup.pol.on', 'z', 'same')
    await ch.waitForConfirms()
    assert.equal(await depth(ch, 'dedup.pol.on'), 2)
    await conn.close()
  })
})

describe('x-message-deduplication queue across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-dedup-q-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('the keys of the persistent messages it keeps still hold', async () => {
    const opts = { amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' as const, dataDir: dir }
    let broker = await startBroker(opts)
    let conn = await amqp.connect(broker.amqpUrl)
    let ch = await conn.createConfirmChannel()
    await ch.assertQueue('dq', { durable: true, arguments: { 'x-message-deduplication': true } })
    ch.sendToQueue('dq', Buffer.from('kept'), {
      persistent: true,
      headers: { 'x-deduplication-header': 'k' },
    })
    ch.sendToQueue('dq', Buffer.from('lost'), { headers: { 'x-deduplication-header': 't' } })
    await ch.waitForConfirms()
    await conn.close()
    await broker.close()
    broker = await startBroker(opts)
    try {
      conn = await amqp.connect(broker.amqpUrl)
      ch = await conn.createConfirmChannel()
      ch.sendToQueue('dq', Buffer.from('k again'), {
        persistent: true,
        headers: { 'x-deduplication-header': 'k' },
      })
      ch.sendToQueue('dq', Buffer.from('t again'), { headers: { 'x-deduplication-header': 't' } })
      await ch.waitForConfirms()
      const got: string[] = []
      for (let m = await ch.get('dq', { noAck: true }); m; m = await ch.get('dq', { noAck: true }))
        got.push(m.content.toString())
      assert.deepEqual(got, ['kept', 't again'])
      await conn.close()
    } finally {
      await broker.close()
    }
  })
})
