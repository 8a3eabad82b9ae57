// Operating a real three-node cluster (child processes on a real etcd) through a follower's ports, as an
// operator would reach any node: `warren ctl cluster_status` as text and JSON, the leader's cluster gauges
// on a follower's Prometheus port, and `warren ctl forget_cluster_node`, refused for a running node and
// done for one that was stopped. Formatting details: test/cli/ctl-cluster.test.ts and
// test/management/cluster-view.test.ts.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { runCli } from '../cli/helpers.js'
import { type RunningEtcd, startEtcd } from '../helpers/etcd.js'
import { type ClusterProcess, TestCluster } from '../helpers/cluster.js'
import { parseExposition, samplesOf } from '../helpers/prometheus.js'

let etcd: RunningEtcd
before(async () => {
  etcd = await startEtcd()
})
after(async () => {
  await etcd?.stop()
})

interface Status {
  cluster_name: string
  disk_nodes: string[]
  running_nodes: string[]
  replication: Array<{ node: string; role: string; in_sync: boolean; replication_state: string }>
}

async function status(through: ClusterProcess): Promise<Status> {
  const r = await runCli(['--url', through.httpUrl, 'cluster_status', '--formatter', 'json'])
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as Status
}

async function gauges(through: ClusterProcess): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${through.ports.prometheus}/metrics`)).text()
  const s = parseExposition(text)
  const out = new Map<string, number>()
  for (const x of s.samples.filter((x) => x.name.startsWith('warren_cluster_')))
    out.set(x.labels['node'] ? `${x.name}{${x.labels['node']}}` : x.name, x.value)
  assert.equal(samplesOf(s, 'rabbitmq_identity_info').length, 1)
  return out
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await read()
    if (done(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 100))
  }
}

test('cluster_status, the cluster gauges and forget_cluster_node through a follower', async () => {
  const cluster = await TestCluster.start('ops', 3, etcd.url)
  try {
    const leader = await cluster.settled(3)
    const [follower, other] = cluster.nodes.filter((n) => n !== leader) as [ClusterProcess, ClusterProcess]
    const all = cluster.nodes.map((n) => n.name).sort()

    const text = await runCli(['--url', follower.httpUrl, 'cluster_status'])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, new RegExp(`^Cluster status of node ${leader.name} \\.\\.\\.\\n`))
    assert.match(text.stdout, /^Cluster name: ops$/m)
    assert.match(text.stdout, new RegExp(`^${leader.name} +leader +yes +yes +leader +0 +0$`, 'm'))
    assert.match(text.stdout, new RegExp(`^${follower.name} +follower +yes +yes +live +\\d+ +\\d+$`, 'm'))
    const s = await status(follower)
    assert.deepEqual([s.cluster_name, s.disk_nodes, s.running_nodes], ['ops', all, all])
    assert.deepEqual(
      s.replication.map((n) => [n.node, n.role, n.in_sync]),
      all.map((name) => [name, name === leader.name ? 'leader' : 'follower', true]),
    )

    const g = await gauges(follower)
    assert.equal(g.get(`warren_cluster_leader{${leader.name}}`), 1)
    assert.deepEqual(
      ['warren_cluster_nodes', 'warren_cluster_running_nodes', 'warren_cluster_in_sync_nodes'].map((n) =>
        g.get(n),
      ),
      [3, 3, 3],
    )
    for (const f of [follower, other]) {
      assert.equal(typeof g.get(`warren_cluster_replication_lag_operations{${f.name}}`), 'number')
      assert.equal(typeof g.get(`warren_cluster_replication_lag_seconds{${f.name}}`), 'number')
    }

    // A running node is refused; once stopped (SIGTERM revokes its lease at once) it can be forgotten.
    const refused = await runCli(['--url', follower.httpUrl, 'forget_cluster_node', other.name])
    assert.equal(refused.code, 69)
    assert.match(refused.stderr, /is running: only a node that is down can be forgotten/)
    await other.kill('SIGTERM')
    const down = await until(
      () => status(follower),
      (v) => !v.running_nodes.includes(other.name),
    )
    assert.deepEqual(down.disk_nodes, all)
    const forgot = await runCli(['--url', follower.httpUrl, 'forget_cluster_node', other.name])
    assert.equal(forgot.code, 0, forgot.stderr)
    assert.deepEqual(
      (await status(follower)).disk_nodes,
      all.filter((n) => n !== other.name),
    )
    const later = await gauges(follower)
    assert.deepEqual([later.get('warren_cluster_nodes'), later.get('warren_cluster_in_sync_nodes')], [2, 2])
    assert.equal(later.has(`warren_cluster_replication_lag_operations{${other.name}}`), false)
  } finally {
    await cluster.stop()
  }
})
