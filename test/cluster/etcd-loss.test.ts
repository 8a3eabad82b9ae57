// A three-node Warren cluster on a three-member etcd (issue 12): losing one etcd member, clients go on
// publishing; losing etcd's quorum makes the leader stop serving (its clients get 320 CONNECTION_FORCED
// and no more confirms) before its lease could be given away; once etcd is back a leader serves again
// and every confirmed message is there.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import amqp from 'amqplib'
import { type RunningEtcd, startEtcd } from '../helpers/etcd.js'
import { TestCluster } from '../helpers/cluster.js'
import { Consumer, Publisher, stopClients } from '../helpers/cluster-clients.js'

let etcd: RunningEtcd
before(async () => {
  etcd = await startEtcd(3)
})
after(async () => {
  await etcd?.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function grows(count: () => number, by: number, ms: number): Promise<boolean> {
  const target = count() + by
  const deadline = Date.now() + ms
  while (count() < target && Date.now() < deadline) await sleep(50)
  return count() >= target
}

test('etcd member loss: publishing goes on; etcd quorum loss stops the leader; nothing confirmed is lost', async () => {
  // The default lease: an etcd member that goes may have been etcd's leader, and etcd takes a second or
  // two to elect another, which a 3 s lease (renewed every second, given up after 1.5 s) does not ride out.
  const lease = 5
  const cluster = await TestCluster.start('etcdloss', 3, etcd.url, lease)
  try {
    const leader = await cluster.settled(3)
    const setup = await amqp.connect(leader.amqpUrl)
    await (await setup.createChannel()).assertQueue('rounds', { durable: true })
    await setup.close()
    const publisher = new Publisher(cluster, 1)
    const confirmed = () => publisher.confirmed.size
    assert.ok(await grows(confirmed, 500, 10_000), 'publishing did not start')

    // One etcd member of three goes: the other two answer and publishing goes on. (When the member was
    // etcd's own leader and etcd's election outlasts half a lease, as on a loaded CI machine, the
    // cluster fails over once; confirms still resume and nothing confirmed is lost.)
    await etcd.members[0]?.kill()
    assert.ok(await grows(confirmed, 500, 20_000), 'publishing stopped after one etcd member went')
    const current = await cluster.settled(3, 60_000)

    // A second member goes: no quorum, no lease renewal. The leader stops within half a lease of its
    // last renewal, and that can come up to etcd's election timeout (1 s) after the kill: etcd's leader
    // renews leases on its own until it sees it lost its quorum. Then 2 s of slack for a loaded machine.
    await etcd.members[1]?.kill()
    await sleep((lease * 1000) / 2 + 1000 + 2000)
    const frozen = confirmed()
    await sleep(2000)
    assert.equal(confirmed(), frozen, 'confirms went on without an etcd quorum')
    assert.equal(await current.nodes(), undefined, 'the old leader still answers the HTTP API')

    // etcd comes back: a leader is elected and serves again.
    etcd.members[0]?.start()
    etcd.members[1]?.start()
    await Promise.all([etcd.members[0]?.healthy(), etcd.members[1]?.healthy()])
    await cluster.settled(3, 60_000)
    assert.ok(await grows(confirmed, 500, 20_000), 'publishing did not resume after etcd came back')

    await publisher.stop()
    const consumer = new Consumer(cluster)
    const deadline = Date.now() + 30_000
    while ([...publisher.confirmed].some((n) => !consumer.acked.has(n)) && Date.now() < deadline)
      await sleep(200)
    await consumer.stop()
    const missing = [...publisher.confirmed].filter((n) => !consumer.acked.has(n))
    assert.equal(
      missing.length,
      0,
      `${missing.length} of ${publisher.confirmed.size} confirmed messages lost`,
    )
  } finally {
    await stopClients()
    await cluster.stop()
  }
})
