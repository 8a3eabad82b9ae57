// A quorum queue across a restart of an in-process broker: the type and arguments come back with the
// definitions, every message comes back (transient ones too: a quorum queue stores them all), a returned
// message keeps its x-delivery-count and its place at the back, and the delivery limit still applies.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import amqp from 'amqplib'
import { type RunningBroker, startBroker } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-quorum-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const opts = { amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' as const, dataDir: dir }
const args = { 'x-queue-type': 'quorum', 'x-delivery-limit': 1 }

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

test('messages, counts and the type survive a restart', async () => {
  await withBroker(async (_b, ch) => {
    await ch.assertQueue('qq.restart', { durable: true, arguments: args })
    ch.sendToQueue('qq.restart', Buffer.from('returned'), { persistent: true })
    ch.sendToQueue('qq.restart', Buffer.from('transient'), { persistent: false })
    await ch.waitForConfirms()
    const m = await ch.get('qq.restart')
    assert.ok(m)
    ch.nack(m, false, true)
    await ch.checkExchange('amq.direct')
  })
  await withBroker(async (b, ch) => {
    const r = await fetch(new URL('/api/queues/%2F/qq.restart', b.httpUrl), {
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
    })
    const q = (await r.json()) as Record<string, unknown>
    assert.equal(q['type'], 'quorum')
    assert.deepEqual(q['arguments'], args)
    // Redeclaring with the same arguments is fine: the recovered queue is a quorum queue.
    await ch.assertQueue('qq.restart', { durable: true, arguments: args })
    const first = await ch.get('qq.restart')
    const second = await ch.get('qq.restart')
    assert.ok(first && second)
    assert.deepEqual(
      [first, second].map((m) => [m.content.toString(), m.properties.headers?.['x-delivery-count']]),
      [
        ['transient', 0],
        ['returned', 1],
      ],
    )
    assert.equal(second.fields.redelivered, true)
    // Its second return is over the limit of 1: dropped (no dead-letter exchange).
    ch.nack(second, false, true)
    ch.ack(first)
    await ch.checkExchange('amq.direct')
    assert.equal(await ch.get('qq.restart'), false)
  })
})
