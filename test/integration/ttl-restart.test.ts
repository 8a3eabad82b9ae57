// A message's TTL keeps running across a restart, as in RabbitMQ: the expiry is stored with it.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import amqp from 'amqplib'
import { ManualClock, startBroker } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-ttl-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('a persistent message expires at its original time after a restart, not a full TTL later', async () => {
  const clock = new ManualClock(1_000_000)
  const opts = { amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' as const, dataDir: dir, clock }
  let broker = await startBroker(opts)
  let conn = await amqp.connect(broker.amqpUrl)
  let ch = await conn.createConfirmChannel()
  await ch.assertQueue('ttl.restart', { durable: true, arguments: { 'x-message-ttl': 10_000 } })
  ch.sendToQueue('ttl.restart', Buffer.from('shorter'), { persistent: true, expiration: '4000' })
  ch.sendToQueue('ttl.restart', Buffer.from('short-lived'), { persistent: true })
  await ch.waitForConfirms()
  await conn.close()
  await broker.close()

  clock.advance(6_000) // the broker was down for 6 s
  broker = await startBroker(opts)
  try {
    conn = await amqp.connect(broker.amqpUrl)
    ch = await conn.createConfirmChannel()
    // 'shorter' (4 s) expired while the broker was down; 'short-lived' has 4 s left, not 10.
    assert.equal((await ch.checkQueue('ttl.restart')).messageCount, 1)
    const m = await ch.get('ttl.restart', { noAck: false })
    assert.ok(m)
    assert.equal(m.content.toString(), 'short-lived')
    ch.nack(m, false, true)
    clock.advance(4_001)
    assert.equal((await ch.checkQueue('ttl.restart')).messageCount, 0)
    await conn.close()
  } finally {
    await broker.close()
  }
})
