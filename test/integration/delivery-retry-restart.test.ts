// Delivery counts and retries across a restart of an in-process broker on a manual clock: a persistent
// message in a durable queue keeps its x-delivery-count (the limit still ends its loop), and one waiting
// for its retry waits its backoff again from the restart. The arguments and the policy keys go out with
// the definitions and come back in with them.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import amqp from 'amqplib'
import { ManualClock, type RunningBroker, startBroker } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-retry-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const clock = new ManualClock(5_000_000)
const opts = { amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' as const, dataDir: dir, clock }

async function withBroker(run: (b: RunningBroker, ch: amqp.ConfirmChannel) => Promise<void>): Promise<void> {
  const broker = await startBroker(opts)
  try {
    const conn = await amqp.connect(broker.amqpUrl)
    const ch = await conn.createConfirmChannel()
    await run(broker, ch)
    await conn.close()
  } finally {
    await broker.close()
  }
}

async function api(b: RunningBroker, method: string, path: string, body?: unknown): Promise<unknown> {
  const r = await fetch(new URL(path, b.httpUrl), {
    method,
    headers: {
      authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await r.text()
  return text === '' ? undefined : JSON.parse(text)
}

const sync = (ch: amqp.Channel): Promise<unknown> => ch.checkExchange('amq.direct')

test('counts survive a restart; a waiting retry waits its backoff again', async () => {
  const args = { 'x-delayed-retry-min': 10_000, 'x-delivery-limit': 2 }
  await withBroker(async (_b, ch) => {
    await ch.assertQueue('retry.restart', { durable: true, arguments: args })
    ch.sendToQueue('retry.restart', Buffer.from('waits'), { persistent: true })
    ch.sendToQueue('retry.restart', Buffer.from('ready'), { persistent: true })
    await ch.waitForConfirms()
    const m = await ch.get('retry.restart')
    assert.ok(m)
    ch.nack(m, false, true)
    await sync(ch)
  })
  clock.advance(9_000) // the broker was down for 9 s of the 10 s backoff
  await withBroker(async (b, ch) => {
    const q = (await api(b, 'GET', '/api/queues/%2F/retry.restart')) as Record<string, unknown>
    assert.equal(q['messages_delayed'], 1)
    assert.equal(q['messages_ready'], 1)
    const ready = await ch.get('retry.restart', { noAck: true })
    assert.equal(ready && ready.content.toString(), 'ready')
    clock.advance(9_999)
    await sync(ch)
    assert.equal(await ch.get('retry.restart'), false, 'the backoff starts again at the restart')
    clock.advance(1)
    const back = await ch.get('retry.restart')
    assert.ok(back)
    assert.equal(back.properties.headers?.['x-delivery-count'], 1)
    assert.equal(back.fields.redelivered, true)
    ch.nack(back, false, true) // count 2: still within the limit
    await sync(ch)
  })
  await withBroker(async (_b, ch) => {
    clock.advance(20_000) // 2 * 10 s, linear
    await sync(ch)
    const again = await ch.get('retry.restart')
    assert.ok(again)
    assert.equal(again.properties.headers?.['x-delivery-count'], 2)
    ch.nack(again, false, true) // past the limit: dropped (no dead-letter exchange)
    await sync(ch)
    clock.advance(60_000)
    assert.equal((await ch.checkQueue('retry.restart')).messageCount, 0)
    assert.equal(await ch.get('retry.restart'), false)
  })
})

test('the arguments and policy keys go out with the definitions and come back in', async () => {
  const policy = {
    vhost: '/',
    name: 'retries',
    pattern: '^retry\\.defs$',
    'apply-to': 'queues',
    priority: 0,
    definition: { 'delivery-limit': 4, 'delayed-retry-min': 250, 'delayed-retry-max': 5000 },
  }
  const args = { 'x-delayed-retry-min': 500, 'x-delayed-retry-multiplier': 2, 'x-delivery-limit': 7 }
  let exported: Record<string, unknown[]> = {}
  await withBroker(async (b, ch) => {
    await ch.assertQueue('retry.defs', { durable: true, arguments: args })
    await api(b, 'PUT', '/api/policies/%2F/retries', policy)
    exported = (await api(b, 'GET', '/api/definitions')) as Record<string, unknown[]>
    await ch.deleteQueue('retry.defs')
    await api(b, 'DELETE', '/api/policies/%2F/retries')
  })
  const queue = exported['queues']?.find((q) => (q as { name: string }).name === 'retry.defs')
  assert.deepEqual((queue as { arguments: unknown }).arguments, args)
  assert.ok(exported['policies']?.some((p) => JSON.stringify(p) === JSON.stringify(policy)))
  await withBroker(async (b) => {
    await api(b, 'POST', '/api/definitions', exported)
    const q = (await api(b, 'GET', '/api/queues/%2F/retry.defs')) as Record<string, unknown>
    assert.deepEqual(q['arguments'], args)
    assert.deepEqual(q['effective_policy_definition'], policy.definition)
  })
})
