// Delayed messages in a three-node cluster (issues 12 and 14): a durable x-delayed-message exchange's
// store is replicated like a queue's, so the persistent delayed messages the leader confirmed are held by
// the next leader after kill -9 of the first, and delivered when due, with no confirmed one lost.
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('delayed messages confirmed by the leader are delivered by the next one after kill -9', async () => {
  const cluster = await TestCluster.start('delayed', 3, etcd.url)
  try {
    const leader = await cluster.settled(3)
    const conn = await amqp.connect(leader.amqpUrl)
    const ch = await conn.createConfirmChannel()
    await ch.assertExchange('later', 'x-delayed-message', {
      durable: true,
      arguments: { 'x-delayed-type': 'direct' },
    })
    await ch.assertQueue('later.q', { durable: true })
    await ch.bindQueue('later.q', 'later', 'k')
    // Due well after the failover (a lease of 5 s), so that the new leader is the one to route them.
    for (let i = 0; i < 200; i++)
      ch.publish('later', 'k', Buffer.from(`m${i}`), {
        persistent: true,
        messageId: `m${i}`,
        headers: { 'x-delay': 9000 },
      })
    await ch.waitForConfirms()
    const published = Date.now()
    await conn.close().catch(() => undefined)
    await leader.kill('SIGKILL')

    const next = await cluster.settled(1)
    assert.notEqual(next.name, leader.name)
    const c2 = await amqp.connect(next.amqpUrl)
    const ch2 = await c2.createChannel()
    const auth = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') }
    const view = (await (
      await fetch(`${next.httpUrl}/api/exchanges/%2F/later`, { headers: auth })
    ).json()) as {
      messages_delayed: number
    }
    assert.equal(view.messages_delayed, 200, 'the new leader holds every confirmed delayed message')
    assert.equal((await ch2.checkQueue('later.q')).messageCount, 0, 'none routed before it is due')
    await sleep(Math.max(0, published + 9000 - Date.now()))
    for (let i = 0; i < 100 && (await ch2.checkQueue('later.q')).messageCount < 200; i++) await sleep(100)
    assert.equal((await ch2.checkQueue('later.q')).messageCount, 200)
    await c2.close()
  } finally {
    await cluster.stop()
  }
})
