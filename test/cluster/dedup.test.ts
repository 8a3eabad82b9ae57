// Deduplication in a three-node cluster (issues 12 and 14): a durable x-message-deduplication exchange's
// key store is replicated like a queue's, so after kill -9 of the leader the next leader still knows
// every key whose message it confirmed: a publisher that resends everything to the new leader gets no
// second copy of any message.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import amqp from 'amqplib'
import { type RunningEtcd, startEtcd } from '../helpers/etcd.js'
import { TestCluster } from '../helpers/cluster.js'

let etcd: RunningEtcd
before(async () => {
  etcd = await startEtcd()
})
after(async () => {
  await etcd?.stop()
})

const N = 500

function publishAll(ch: amqp.ConfirmChannel): void {
  for (let i = 0; i < N; i++)
    ch.publish('once', '', Buffer.from(`m${i}`), {
      persistent: true,
      headers: { 'x-deduplication-header': `m${i}` },
    })
}

test('a resend to the next leader after kill -9 is deduplicated against the keys it replicated', async () => {
  const cluster = await TestCluster.start('dedup', 3, etcd.url)
  try {
    const leader = await cluster.settled(3)
    const conn = await amqp.connect(leader.amqpUrl)
    const ch = await conn.createConfirmChannel()
    await ch.assertExchange('once', 'x-message-deduplication', {
      durable: true,
      arguments: { 'x-cache-size': 10_000 },
    })
    await ch.assertQueue('once.q', { durable: true })
    await ch.bindQueue('once.q', 'once', '')
    publishAll(ch)
    await ch.waitForConfirms()
    await conn.close().catch(() => undefined)
    await leader.kill('SIGKILL')

    const next = await cluster.settled(1)
    assert.notEqual(next.name, leader.name)
    const c2 = await amqp.connect(next.amqpUrl)
    const ch2 = await c2.createConfirmChannel()
    publishAll(ch2)
    await ch2.waitForConfirms()
    const counts = new Map<string, number>()
    for (let m = await ch2.get('once.q', { noAck: true }); m; m = await ch2.get('once.q', { noAck: true }))
      counts.set(m.content.toString(), (counts.get(m.content.toString()) ?? 0) + 1)
    assert.equal(counts.size, N, 'every message is there')
    assert.deepEqual([...counts].filter(([, n]) => n > 1).slice(0, 5), [], 'no message routed twice')
    await c2.close()
  } finally {
    await cluster.stop()
  }
})
