// Durable hash and random exchanges survive a restart with their arguments and bindings, and a
// consistent-hash or modulus-hash exchange sends each key where it did before: the ring is rebuilt from
// the bindings in the order they were made (RabbitMQ rebuilds it in sorted order, which may move keys).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import amqp from 'amqplib'
import { startBroker } from '../../src/index.js'
import { keys, placement } from '../helpers/placement.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-hashx-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const opts = { amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' as const, dataDir: dir }
const QUEUES = ['hq.c', 'hq.a', 'hq.b']

async function declare(ch: amqp.Channel): Promise<void> {
  await ch.assertExchange('chx', 'x-consistent-hash', { durable: true, arguments: { 'hash-header': 'h' } })
  await ch.assertExchange('mhx', 'x-modulus-hash', { durable: true })
  await ch.assertExchange('rx', 'x-random', { durable: true })
  // Bound out of name order, with different weights, so that a rebuilt ring in another order would show.
  for (const [i, q] of QUEUES.entries()) {
    await ch.assertQueue(q, { durable: true })
    await ch.bindQueue(q, 'chx', String(3 - i))
    await ch.bindQueue(q, 'mhx', `k${i}`)
    await ch.bindQueue(q, 'rx', '')
  }
}

/** Where 300 keys go through each hash exchange: `exchange key` to queue. */
async function placements(ch: amqp.ConfirmChannel): Promise<Map<string, string>> {
  const byHeader = keys('h', 300).map((it) => ({
    ...it,
    routingKey: 'any',
    options: { headers: { h: it.id } },
  }))
  const out = new Map<string, string>()
  for (const [id, q] of await placement(ch, 'chx', QUEUES, byHeader)) out.set(`chx ${id}`, q)
  for (const [id, q] of await placement(ch, 'mhx', QUEUES, keys('m', 300))) out.set(`mhx ${id}`, q)
  return out
}

test('hash and random exchanges come back after a restart, sending each key where it went before', async () => {
  let broker = await startBroker(opts)
  let conn = await amqp.connect(broker.amqpUrl)
  let ch = await conn.createConfirmChannel()
  await declare(ch)
  const before = await placements(ch)
  await conn.close()
  await broker.close()

  broker = await startBroker(opts)
  try {
    conn = await amqp.connect(broker.amqpUrl)
    ch = await conn.createConfirmChannel()
    const types = await Promise.all(['chx', 'mhx', 'rx'].map(async (e) => (await ch.checkExchange(e)) && e))
    assert.deepEqual(types, ['chx', 'mhx', 'rx'])
    const vhost = broker.broker.vhosts.get('/')
    assert.deepEqual(vhost?.exchanges.get('chx')?.args, { 'hash-header': 'h' })
    assert.deepEqual(
      vhost?.exchanges.get('chx')?.bindings.map((b) => [b.destination.name, b.routingKey]),
      QUEUES.map((q, i) => [q, String(3 - i)]),
    )
    assert.deepEqual(await placements(ch), before)
    const random = await placement(ch, 'rx', QUEUES, keys('r', 90))
    assert.equal(new Set(random.values()).size, 3, 'x-random reaches every queue')
    await conn.close()
  } finally {
    await broker.close()
  }
})
