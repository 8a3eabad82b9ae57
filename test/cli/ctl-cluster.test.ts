// warren ctl cluster_status and forget_cluster_node: rabbitmqctl 3.10's sections and JSON keys (checked
// against RabbitMQ 3.10.8's `rabbitmqctl cluster_status`), on a single node and on a leader whose cluster
// view is injected as boot passes it (startBroker's `cluster` option). A real three-node cluster:
// test/cluster/operations.test.ts.
import assert from 'node:assert/strict'
import { clusterNode } from '../helpers/cluster-view.js'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { type RunningBroker, startBroker } from '../../src/index.js'
import { lines, runCli, useWarren } from './helpers.js'

const w = useWarren()
const PACKAGE = new URL('../../../package.json', import.meta.url)
const VERSION = (JSON.parse(readFileSync(PACKAGE, 'utf8')) as { version: string }).version

/** What rabbitmqctl 3.10.8 prints for a standalone node, section by section. */
const RABBITMQ_SECTIONS = [
  'Basics',
  'Disk Nodes',
  'Running Nodes',
  'Versions',
  'Maintenance status',
  'Alarms',
  'Network Partitions',
  'Listeners',
]
/** Its JSON keys but feature_flags (Warren has none to list). */
const RABBITMQ_KEYS = [
  'alarms',
  'cluster_name',
  'disk_nodes',
  'listeners',
  'maintenance_status',
  'partitions',
  'ram_nodes',
  'running_nodes',
  'versions',
]

/** A report after its banner: each title with its lines (titles and bodies are separated by empty lines). */
function report(stdout: string): Map<string, string[]> {
  const blocks = lines(stdout).slice(1).join('\n').split('\n\n')
  const out = new Map<string, string[]>()
  for (let i = 0; i < blocks.length; i += 2)
    out.set(blocks[i] ?? '', blocks[i + 1] === '' ? [] : (blocks[i + 1] ?? '').split('\n'))
  return out
}

describe('cluster_status on a single node', () => {
  test('the node is the only one, disk and running; the cluster is named after it', async () => {
    const r = await w.ctl('cluster_status')
    assert.equal(r.code, 0, r.stderr)
    const node = /^Cluster status of node (\S+) \.\.\.\n/.exec(r.stdout)?.[1] as string
    assert.ok(node, r.stdout)
    const sections = report(r.stdout)
    assert.deepEqual([...sections.keys()], RABBITMQ_SECTIONS)
    assert.deepEqual(Object.fromEntries([...sections].slice(0, 7)), {
      Basics: [`Cluster name: ${node}`],
      'Disk Nodes': [node],
      'Running Nodes': [node],
      Versions: [`${node}: RabbitMQ 3.10.8 on Warren ${VERSION}`],
      'Maintenance status': [`Node: ${node}, status: not under maintenance`],
      Alarms: ['(none)'],
      'Network Partitions': ['(none)'],
    })
    assert.match(
      r.stdout,
      /^Node: \S+, interface: 127\.0\.0\.1, port: \d+, protocol: amqp, purpose: AMQP 0-9-1$/m,
    )
  })

  test('--formatter json: RabbitMQ keys, no replication', async () => {
    const r = await w.ctl('cluster_status', '--formatter', 'json')
    assert.equal(r.code, 0, r.stderr)
    const json = JSON.parse(r.stdout) as Record<string, unknown>
    assert.deepEqual(Object.keys(json).sort(), RABBITMQ_KEYS)
    const node = json['cluster_name'] as string
    assert.deepEqual(json['disk_nodes'], [node])
    assert.deepEqual(json['running_nodes'], [node])
    assert.deepEqual([json['alarms'], json['partitions'], json['ram_nodes']], [[], {}, []])
    assert.deepEqual(json['maintenance_status'], { [node]: 'not under maintenance' })
    assert.deepEqual(json['versions'], {
      [node]: {
        rabbitmq_name: 'RabbitMQ',
        rabbitmq_version: '3.10.8',
        product_name: 'Warren',
        product_version: VERSION,
      },
    })
  })

  test('forget_cluster_node: a single node has no other node to forget (exit 69)', async () => {
    const r = await w.ctl('forget_cluster_node', 'rabbit@elsewhere')
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [
        69,
        'Removing node rabbit@elsewhere from the cluster\n',
        'Error:\nThe node selected is not in the cluster.\n',
      ],
    )
  })
})

describe('cluster_status and forget_cluster_node on a cluster leader', () => {
  let nodes = [
    clusterNode('n1@localhost', { role: 'leader', replication_state: 'leader' }),
    clusterNode('n2@localhost', { replication_lag_ops: 12, replication_lag_ms: 340 }),
    clusterNode('n3@localhost', { running: false, in_sync: false, replication_state: 'down' }),
  ]
  let leader: RunningBroker
  const ctl = (...argv: string[]) => runCli(['--url', leader.httpUrl, ...argv])
  before(async () => {
    leader = await startBroker({
      amqpPort: 0,
      httpPort: 0,
      bind: '127.0.0.1',
      logLevel: 'silent',
      nodeName: 'n1@localhost',
      cluster: {
        stores: { messages: (own) => own, definitions: (own) => own },
        view: () => Promise.resolve({ name: 'orders', nodes: nodes.map((n) => ({ ...n })) }),
        forget: (name) => Promise.resolve(void (nodes = nodes.filter((n) => n.name !== name))),
      },
    })
  })
  after(() => leader?.close())

  test('every node is a disk node, the running ones are listed, and a Replication section follows', async () => {
    const r = await ctl('cluster_status')
    assert.equal(r.code, 0, r.stderr)
    const sections = report(r.stdout)
    assert.deepEqual([...sections.keys()], [...RABBITMQ_SECTIONS, 'Replication'])
    const section = (title: string): string[] | undefined => sections.get(title)
    assert.deepEqual(section('Basics'), ['Cluster name: orders'])
    assert.deepEqual(section('Disk Nodes'), ['n1@localhost', 'n2@localhost', 'n3@localhost'])
    assert.deepEqual(section('Running Nodes'), ['n1@localhost', 'n2@localhost'])
    assert.deepEqual(section('Versions'), [`n1@localhost: RabbitMQ 3.10.8 on Warren ${VERSION}`])
    assert.deepEqual(section('Maintenance status'), [
      'Node: n1@localhost, status: not under maintenance',
      'Node: n2@localhost, status: not under maintenance',
      'Node: n3@localhost, status: unknown',
    ])
    assert.deepEqual(section('Replication'), [
      'Node          Role      Running  In sync  Replication  Lag (operations)  Lag (ms)',
      'n1@localhost  leader    yes      yes      leader       0                 0',
      'n2@localhost  follower  yes      yes      live         12                340',
      'n3@localhost  follower  no       no       down         0                 0',
    ])
  })

  test('--formatter json: running_nodes, maintenance_status and Warren replication per node', async () => {
    const json = JSON.parse((await ctl('cluster_status', '--formatter', 'json')).stdout) as Record<
      string,
      unknown
    >
    assert.deepEqual(Object.keys(json).sort(), [...RABBITMQ_KEYS, 'replication'].sort())
    assert.equal(json['cluster_name'], 'orders')
    assert.deepEqual(json['running_nodes'], ['n1@localhost', 'n2@localhost'])
    assert.deepEqual(json['maintenance_status'], {
      'n1@localhost': 'not under maintenance',
      'n2@localhost': 'not under maintenance',
      'n3@localhost': 'unknown',
    })
    assert.deepEqual((json['replication'] as unknown[])[1], {
      node: 'n2@localhost',
      running: true,
      role: 'follower',
      in_sync: true,
      replication_state: 'live',
      replication_lag_ops: 12,
      replication_lag_ms: 340,
    })
  })

  test('forget_cluster_node refuses a running node and forgets one that is down', async () => {
    const refused = await ctl('forget_cluster_node', 'n2@localhost')
    assert.equal(refused.code, 69)
    assert.equal(
      refused.stderr,
      'Error:\nnode n2@localhost is running: only a node that is down can be forgotten; stop it first\n',
    )
    const done = await ctl('forget_cluster_node', 'n3@localhost', '--formatter', 'json')
    assert.deepEqual([done.code, JSON.parse(done.stdout)], [0, { node: 'n1@localhost', result: 'ok' }])
    const json = JSON.parse((await ctl('cluster_status', '--formatter', 'json')).stdout) as {
      disk_nodes: string[]
    }
    assert.deepEqual(json.disk_nodes, ['n1@localhost', 'n2@localhost'])
  })
})
