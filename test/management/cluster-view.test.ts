// What the HTTP API and /metrics show of a cluster, with a fixed cluster view injected as a leading node's
// boot passes it (startBroker's `cluster` option): /api/nodes and /api/nodes/<node>, forgetting a node that
// is down (DELETE /api/nodes/<node>, Warren's own), and the warren_cluster_* gauges. A real three-node
// cluster is checked in test/cluster/operations.test.ts.
import assert from 'node:assert/strict'
import { clusterNode, type ClusterNodeView as NodeView } from '../helpers/cluster-view.js'
import { test } from 'node:test'
import { parseExposition, type Scrape, samplesOf } from '../helpers/prometheus.js'
import { seg, useManagement } from './helpers.js'

// Sorted by name, as boot/cluster-view.ts builds it (and /api/nodes lists it): this node, n2, is not first.
let nodes: NodeView[] = [
  clusterNode('n1@localhost', { replication_lag_ops: 7, replication_lag_ms: 250 }),
  clusterNode('n2@localhost', { role: 'leader', replication_state: 'leader' }),
  clusterNode('n3@localhost', { running: false, in_sync: false, replication_state: 'down' }),
  clusterNode('n4@localhost', { in_sync: false, replication_state: 'snapshot', replication_lag_ops: 40 }),
]
let etcdAnswers = true
const forgotten: string[] = []

const m = useManagement({
  nodeName: 'n2@localhost',
  cluster: {
    stores: { messages: (own) => own, definitions: (own) => own },
    view: () =>
      etcdAnswers
        ? Promise.resolve({ name: 'orders', nodes: nodes.map((n) => ({ ...n })) })
        : Promise.reject(new Error('etcd does not answer')),
    forget: (node) => {
      forgotten.push(node)
      nodes = nodes.filter((n) => n.name !== node)
      return Promise.resolve()
    },
  },
})

async function metrics(path = '/metrics'): Promise<Scrape> {
  const r = await fetch(`http://127.0.0.1:${m.broker.prometheusPort}${path}`)
  assert.equal(r.status, 200)
  return parseExposition(await r.text())
}

test('/api/nodes lists every node with its replication; /api/nodes/<this node> has its figures', async (t) => {
  if (m.external) return t.skip('Warren clustering')
  const list = (await m.api('GET', '/api/nodes')).json as Array<Record<string, unknown>>
  assert.deepEqual(
    list.map((n) => [n['name'], n['role'], n['replication_state']]),
    [
      ['n1@localhost', 'follower', 'live'],
      ['n2@localhost', 'leader', 'leader'],
      ['n3@localhost', 'follower', 'down'],
      ['n4@localhost', 'follower', 'snapshot'],
    ],
  )
  assert.equal(typeof list[1]?.['uptime'], 'number')
  assert.deepEqual(list[2], {
    name: 'n3@localhost',
    type: 'disc',
    running: false,
    role: 'follower',
    in_sync: false,
    replication_state: 'down',
    replication_lag_ops: 0,
    replication_lag_ms: 0,
  })
  const self = (await m.api('GET', `/api/nodes/${seg('n2@localhost')}`)).json as Record<string, unknown>
  assert.equal(self['name'], 'n2@localhost')
  assert.equal(typeof self['mem_used'], 'number')
  assert.deepEqual((await m.api('GET', '/api/cluster-name')).json, { name: 'orders' })
  // The overview names the same cluster, as RabbitMQ's does.
  const overview = (await m.api('GET', '/api/overview')).json as Record<string, unknown>
  assert.equal(overview['cluster_name'], 'orders')
  assert.equal(overview['node'], 'n2@localhost')
})

test('/metrics on the leader: who leads, how many nodes run and are in sync, each linked follower lag', async (t) => {
  if (m.external) return t.skip('Warren clustering')
  for (const path of ['/metrics', '/metrics/per-object']) {
    const s = await metrics(path)
    const values = (name: string): Array<[string | undefined, number]> =>
      samplesOf(s, name).map((x) => [x.labels['node'], x.value])
    assert.deepEqual(values('warren_cluster_leader'), [['n2@localhost', 1]])
    assert.deepEqual(values('warren_cluster_nodes'), [[undefined, 4]])
    assert.deepEqual(values('warren_cluster_running_nodes'), [[undefined, 3]])
    assert.deepEqual(values('warren_cluster_in_sync_nodes'), [[undefined, 2]])
    // n3 is down: no link, no lag sample.
    assert.deepEqual(values('warren_cluster_replication_lag_operations'), [
      ['n1@localhost', 7],
      ['n4@localhost', 40],
    ])
    assert.deepEqual(values('warren_cluster_replication_lag_seconds'), [
      ['n1@localhost', 0.25],
      ['n4@localhost', 0],
    ])
    for (const name of s.types.keys()) {
      if (name.startsWith('warren_')) {
        assert.equal(s.types.get(name), 'gauge', name)
        assert.ok(s.helps.get(name), `${name} has a HELP line`)
      }
    }
  }
  // A scrape while etcd does not answer still serves the node's own metrics, without the cluster's.
  etcdAnswers = false
  try {
    const s = await metrics()
    assert.ok(s.types.has('rabbitmq_queues'))
    assert.deepEqual(
      [...s.types.keys()].filter((n) => n.startsWith('warren_')),
      [],
    )
  } finally {
    etcdAnswers = true
  }
})

test('DELETE /api/nodes/<node> forgets a node that is down, and only such a node', async (t) => {
  if (m.external) return t.skip('Warren clustering')
  const del = (node: string, user?: readonly [string, string]) =>
    m.api('DELETE', `/api/nodes/${seg(node)}`, user ? { user } : {})
  const running = await del('n1@localhost')
  assert.equal(running.status, 409)
  assert.deepEqual(running.json, {
    error: 'conflict',
    reason: 'node n1@localhost is running: only a node that is down can be forgotten; stop it first',
  })
  assert.equal((await del('n2@localhost')).status, 409) // the leader itself
  assert.deepEqual((await del('n9@localhost')).json, {
    error: 'not_found',
    reason: 'The node selected is not in the cluster.',
  })
  assert.deepEqual(forgotten, [])
  assert.equal((await del('n3@localhost')).status, 204)
  assert.deepEqual(forgotten, ['n3@localhost'])
  const names = ((await m.api('GET', '/api/nodes')).json as Array<{ name: string }>).map((n) => n.name)
  assert.deepEqual(names, ['n1@localhost', 'n2@localhost', 'n4@localhost'])
})
