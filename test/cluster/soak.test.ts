// The cluster soak (issue 12): three nodes on a real etcd under steady publishing (two publishers with
// confirms through any node) and consuming (manual acks), while faults hit them one after another: kill
// -9 of the leader or of a follower, SIGSTOP of the leader past its lease, and (as root, with network
// namespaces) the leader or a follower cut off from the network. After each fault the node comes back and
// the cluster must settle with three nodes in sync; at the end every confirmed message must have reached
// the consumer. Each leader fault's failover time — from the fault to the next confirm — is recorded.
//
// `npm test` runs a few rounds with a 3 s lease. Soak: WARREN_CLUSTER_SOAK_SECONDS=<s> (lease 5 s, the
// default; WARREN_CLUSTER_LEASE to change it); each round's line goes to stderr, a summary at the end.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import amqp from 'amqplib'
import { type RunningEtcd, startEtcd } from '../helpers/etcd.js'
import { type ClusterProcess, TestCluster } from '../helpers/cluster.js'
import { Consumer, Publisher, stopClients } from '../helpers/cluster-clients.js'
import { ETCD_IP, etcdNamespace, Partitions } from '../helpers/netns.js'

const SOAK_SECONDS = Number(process.env['WARREN_CLUSTER_SOAK_SECONDS'] ?? 0)
const LEASE = Number(process.env['WARREN_CLUSTER_LEASE'] ?? (SOAK_SECONDS > 0 ? 5 : 3))
const CI_ROUNDS = 3
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Fault = 'kill-leader' | 'stop-leader' | 'cut-leader' | 'kill-follower' | 'cut-follower'

let etcd: RunningEtcd
let partitions: Partitions | undefined
before(async () => {
  // Partitions need root and network namespaces; without them the soak runs its other faults.
  try {
    partitions = Partitions.available() ? Partitions.setUp(3) : undefined
  } catch (err) {
    process.stderr.write(`cluster soak: no network partitions (${(err as Error).message.split('\n')[0]})\n`)
    Partitions.tearDownAll(3)
    partitions = undefined
  }
  etcd = partitions
    ? await startEtcd(1, ETCD_IP, ['ip', 'netns', 'exec', etcdNamespace()])
    : await startEtcd()
})
after(async () => {
  await etcd?.stop()
  partitions?.tearDown()
})

async function queueDepth(node: ClusterProcess): Promise<number> {
  const conn = await amqp.connect(node.amqpUrl)
  try {
    return (await (await conn.createChannel()).checkQueue('rounds')).messageCount
  } finally {
    await conn.close()
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

test(
  'cluster soak: faults one after another, no confirmed message lost',
  { timeout: 3_600_000 },
  async () => {
    const place = partitions ? (i: number) => (partitions as Partitions).place(i) : undefined
    const cluster = await TestCluster.start('soak', 3, etcd.url, LEASE, place)
    // In this order for `npm test`'s rounds; at random in a soak.
    const faults: Fault[] = partitions
      ? ['kill-leader', 'cut-leader', 'stop-leader', 'kill-follower', 'cut-follower']
      : ['kill-leader', 'stop-leader', 'kill-follower']
    const failovers: Record<string, number[]> = {}
    const started = Date.now()
    let rounds = 0
    try {
      const leader = await cluster.settled(3)
      const setup = await amqp.connect(leader.amqpUrl)
      await (await setup.createChannel()).assertQueue('rounds', { durable: true })
      await setup.close()
      const publishers = [new Publisher(cluster, 1), new Publisher(cluster, 2)]
      const consumer = new Consumer(cluster)
      const confirmed = () => publishers.reduce((s, p) => s + p.confirmed.size, 0)
      // The failover time: from the fault to the confirm of the first batch published after it.
      const firstConfirmAfter = async (t0: number, ms: number): Promise<number | undefined> => {
        while (Date.now() - t0 < ms) {
          const p = publishers.find((x) => x.lastBatchStartedAt > t0)
          if (p) return p.lastConfirmAt - t0
          await sleep(20)
        }
        return undefined
      }
      while (SOAK_SECONDS > 0 ? Date.now() - started < SOAK_SECONDS * 1000 : rounds < CI_ROUNDS) {
        const fault =
          SOAK_SECONDS > 0
            ? (faults[Math.floor(Math.random() * faults.length)] as Fault)
            : (faults[rounds % faults.length] as Fault)
        await sleep(500 + Math.random() * 1500)
        const lead = await cluster.settled(3, 60_000)
        const victim = fault.endsWith('leader')
          ? lead
          : (cluster.nodes.find((n) => n !== lead) as ClusterProcess)
        const index = cluster.nodes.indexOf(victim) + 1
        const t0 = Date.now()
        if (fault.startsWith('kill')) await victim.kill('SIGKILL')
        else if (fault === 'stop-leader') victim.signal('SIGSTOP')
        else partitions?.isolate(index)
        const gap = await firstConfirmAfter(t0, 60_000)
        assert.ok(gap !== undefined, `round ${rounds} (${fault}): no confirm within 60 s\n${cluster.logs()}`)
        ;(failovers[fault] ??= []).push(gap)
        // The node comes back: restarted, resumed or reconnected, and must rejoin in sync.
        if (fault.startsWith('kill')) victim.start()
        else if (fault === 'stop-leader') victim.signal('SIGCONT')
        else partitions?.heal(index)
        await cluster.settled(3, 90_000)
        rounds++
        const line = `round ${rounds} ${fault} ${victim.name}: first publish after it confirmed in ${gap} ms, ${confirmed()} confirmed, ${consumer.acked.size} acked`
        if (SOAK_SECONDS > 0) process.stderr.write(`${line}\n`)
      }
      await Promise.all(publishers.map((p) => p.stop()))
      const all = new Set(publishers.flatMap((p) => [...p.confirmed]))
      const deadline = Date.now() + 60_000
      while ([...all].some((n) => !consumer.acked.has(n)) && Date.now() < deadline) await sleep(200)
      await consumer.stop()
      // The followers' copies match the leader's: a last failover brings back exactly what was left.
      const left = await queueDepth(await cluster.settled(3, 60_000))
      const last = await cluster.settled(3)
      await last.kill('SIGKILL')
      const afterFailover = await queueDepth(await cluster.settled(2, 60_000))
      assert.equal(
        afterFailover,
        left,
        `${left} messages left before the last failover, ${afterFailover} after`,
      )
      const missing = [...all].filter((n) => !consumer.acked.has(n))
      const summary = Object.entries(failovers).map(([f, ms]) => {
        const s = [...ms].sort((a, b) => a - b)
        return `${f}: n=${s.length} p50=${percentile(s, 50)} p90=${percentile(s, 90)} max=${s[s.length - 1]} ms`
      })
      process.stderr.write(
        `cluster soak: ${rounds} rounds in ${Math.round((Date.now() - started) / 1000)} s, lease ${LEASE} s, ` +
          `partitions ${partitions ? 'on' : 'off (needs root and ip netns)'}; ${all.size} confirmed, ` +
          `${missing.length} lost, ${consumer.redeliveredAfterAck.length} redelivered after ack; failover ${summary.join('; ')}\n`,
      )
      assert.equal(missing.length, 0, `${missing.length} of ${all.size} confirmed messages lost`)
      assert.deepEqual(
        consumer.redeliveredAfterAck.filter((r) => !r.redelivered),
        [],
      )
    } finally {
      await stopClients()
      for (let i = 1; i <= 3; i++) partitions?.healQuietly(i)
      await cluster.stop()
    }
  },
)
