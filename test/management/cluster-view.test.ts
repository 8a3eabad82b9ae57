// What the HTTP API and /metrics show of a cluster, with a fixed cluster view injected as a leading node's
// boot passes it (startBroker's `cluster` option): /api/nodes and /api/nodes/<node>, forgetting a node that
// is down (DELETE /api/nodes/<node>, Warren's own). A real three-node
// cluster is checked in test/cluster/operations.test.ts.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { StartOptions } from '../../src/index.js'
import { seg, useManagement } from './helpers.js'

type ClusterOption = NonNullable<StartOptions['cluster']>
type View = Awaited<ReturnType<ClusterOption['view']>>
type NodeView = View['nodes'][number]

const follower = (name: string, o: Partial<NodeView>): NodeView => ({
  name,
  running: true,
  role: 'follower',
  in_sync: true,
  replication_state: 'live',
  replication_lag_ops: 0,
  replication_lag_ms: 0,
  ...o,
})

// Sorted by name, as boot/cluster-view.ts builds it (and /api/nodes lists it): this node, n2, is not first.
let nodes: NodeView[] = [
  follower('n1@localhost', { replication_lag_ops: 7, replication_lag_ms: 250 }),
  follower('n2@localhost', { role: 'leader', replication_state: 'leader' }),
  follower('n3@localhost', { running: false, in_sync: false, replication_state: 'down' }),
  follower('n4@localhost', { in_sync: false, replication_state: 'snapshot', replication_lag_ops: 40 }),
]
const forgotten: string[] = []

const m = useManagement({
  nodeName: 'n2@localhost',
  cluster: {
    stores: { messages: (own) => own, definitions: (own) => own },
    view: () => Promise.resolve({ name: 'orders', nodes: nodes.map((n) => ({ ...n })) }),
    forget: (node) => {
      forgotten.push(node)
      nodes = nodes.filter((n) => n.name !== node)
      return Promise.resolve()
    },
  },
})

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
