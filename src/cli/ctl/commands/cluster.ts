// cluster_status and forget_cluster_node, from the HTTP API (/api/overview, /api/cluster-name, /api/nodes,
// DELETE /api/nodes/<node>). cluster_status keeps rabbitmqctl 3.10's sections and JSON keys, and adds
// Warren's Replication section (role, in sync, replication state and lag of each node) in a cluster. Only
// the node that answers — a cluster's leader, since followers pass HTTP through to it — reports its
// version, alarms and listeners: the API knows of the other nodes only whether they run and how far
// their copy is. Warren has no RAM nodes, partitions (a node cut off stops serving) or feature flags.
import type { Ctx, CtlCommand } from '../context.js'
import { brokerError, EXIT } from '../errors.js'
import { reasonOf, seg } from '../http.js'
import { iface, type Overview, PURPOSES } from './status.js'

/** A node as /api/nodes lists it; the replication fields are there in a cluster only. */
interface NodeItem {
  readonly name: string
  readonly running?: boolean
  readonly mem_alarm?: boolean
  readonly disk_free_alarm?: boolean
  readonly role?: string
  readonly in_sync?: boolean
  readonly replication_state?: string
  readonly replication_lag_ops?: number
  readonly replication_lag_ms?: number
}

interface ClusterStatus {
  /** The node that answered. */
  readonly node: string
  readonly clusterName: string
  readonly overview: Overview
  readonly nodes: readonly NodeItem[]
}

type Section = readonly [title: string, lines: readonly string[]]

async function fetchClusterStatus(c: Ctx): Promise<ClusterStatus> {
  const [overview, named, nodes] = await Promise.all([
    c.api.get('/api/overview') as Promise<Overview>,
    c.api.get('/api/cluster-name') as Promise<{ name?: string }>,
    c.api.get('/api/nodes') as Promise<NodeItem[]>,
  ])
  const node = overview.node ?? 'unknown'
  return { node, clusterName: named.name ?? node, overview, nodes }
}

const running = (s: ClusterStatus): string[] => s.nodes.filter((n) => n.running !== false).map((n) => n.name)
const isCluster = (s: ClusterStatus): boolean => s.nodes.some((n) => n.role !== undefined)
const maintenance = (n: NodeItem): string => (n.running === false ? 'unknown' : 'not under maintenance')

/** RabbitMQ's alarm maps ({node, resource, type}), for the node that answered. */
function alarms(s: ClusterStatus): Array<{ node: string; resource: string; type: string }> {
  const self = s.nodes.find((n) => n.name === s.node)
  const raised = [...(self?.mem_alarm ? ['memory'] : []), ...(self?.disk_free_alarm ? ['disk'] : [])]
  return raised.map((resource) => ({ node: s.node, resource, type: 'resource_limit' }))
}

function listeners(s: ClusterStatus): Array<Record<string, unknown>> {
  return (s.overview.listeners ?? []).map((l) => ({
    interface: iface(l.ip_address),
    node: s.node,
    port: l.port,
    protocol: l.protocol,
    purpose: PURPOSES[l.protocol ?? ''] ?? l.protocol,
  }))
}

/** Warren's figures for each node, as /api/nodes gives them. */
function replication(s: ClusterStatus): Array<Record<string, unknown>> {
  return s.nodes.map((n) => ({
    node: n.name,
    running: n.running !== false,
    role: n.role,
    in_sync: n.in_sync,
    replication_state: n.replication_state,
    replication_lag_ops: n.replication_lag_ops,
    replication_lag_ms: n.replication_lag_ms,
  }))
}

/** The keys of `rabbitmqctl cluster_status --formatter json` (but feature_flags), and `replication`. */
function statusJson(s: ClusterStatus): Record<string, unknown> {
  const o = s.overview
  return {
    alarms: alarms(s),
    cluster_name: s.clusterName,
    disk_nodes: s.nodes.map((n) => n.name),
    listeners: { [s.node]: listeners(s) },
    maintenance_status: Object.fromEntries(s.nodes.map((n) => [n.name, maintenance(n)])),
    partitions: {},
    ram_nodes: [],
    running_nodes: running(s),
    versions: {
      [s.node]: {
        rabbitmq_name: 'RabbitMQ',
        rabbitmq_version: o.rabbitmq_version,
        product_name: o.product_name,
        product_version: o.product_version,
      },
    },
    ...(isCluster(s) ? { replication: replication(s) } : {}),
  }
}

/** Columns padded to their widest cell, as a section of the report rather than a listing. */
function aligned(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
}

function replicationLines(s: ClusterStatus): string[] {
  const yesNo = (b: boolean | undefined): string => (b ? 'yes' : 'no')
  return aligned([
    ['Node', 'Role', 'Running', 'In sync', 'Replication', 'Lag (operations)', 'Lag (ms)'],
    ...s.nodes.map((n) => [
      n.name,
      n.role ?? '',
      yesNo(n.running !== false),
      yesNo(n.in_sync),
      n.replication_state ?? '',
      String(n.replication_lag_ops ?? 0),
      String(n.replication_lag_ms ?? 0),
    ]),
  ])
}

/** rabbitmqctl 3.10's sections, in its order, then Warren's. */
function sections(s: ClusterStatus): Section[] {
  const o = s.overview
  const raised = alarms(s).map(
    (a) => `${a.resource === 'memory' ? 'Memory' : 'Free disk space'} alarm on node ${a.node}`,
  )
  const listenerLines = listeners(s).map(
    (l) =>
      `Node: ${s.node}, interface: ${String(l['interface'])}, port: ${String(l['port'] ?? '')}, ` +
      `protocol: ${String(l['protocol'] ?? '')}, purpose: ${String(l['purpose'] ?? '')}`,
  )
  return [
    ['Basics', [`Cluster name: ${s.clusterName}`]],
    ['Disk Nodes', s.nodes.map((n) => n.name)],
    ['Running Nodes', running(s)],
    // rabbitmqctl's "<node>: RabbitMQ <version> on Erlang <version>": Warren is the runtime here.
    [
      'Versions',
      [
        `${s.node}: RabbitMQ ${o.rabbitmq_version ?? ''} on ${o.product_name ?? ''} ${o.product_version ?? ''}`,
      ],
    ],
    ['Maintenance status', s.nodes.map((n) => `Node: ${n.name}, status: ${maintenance(n)}`)],
    ['Alarms', raised.length > 0 ? raised : ['(none)']],
    ['Network Partitions', ['(none)']],
    ['Listeners', listenerLines],
    ...(isCluster(s) ? [['Replication', replicationLines(s)] as const] : []),
  ]
}

export const clusterCommands: readonly CtlCommand[] = [
  {
    name: 'cluster_status',
    summary: "displays the cluster's nodes, which run, and (Warren) each node's role and replication",
    run: async (c) => {
      const s = await fetchClusterStatus(c)
      if (c.out.mode.json) return c.out.json(statusJson(s))
      c.out.info(`Cluster status of node ${s.node} ...`)
      const bold = (t: string): string => (c.io.isTTY ? `\x1b[1m${t}\x1b[0m` : t)
      const text = sections(s).map(([title, lines]) => [bold(title), '', ...lines].join('\n'))
      c.out.result(text.join('\n\n'))
    },
  },
  {
    name: 'forget_cluster_node',
    summary: 'removes a node that is down for good from the cluster (a running node is refused)',
    args: ['<node>'],
    run: async (c, [node = '']) => {
      c.out.info(`Removing node ${node} from the cluster`)
      const path = `/api/nodes/${seg(node)}`
      const r = await c.api.call('DELETE', path)
      // rabbitmqctl exits 69 when the node is not a member or cannot be removed.
      if (r.status === 404 || r.status === 409) throw brokerError(reasonOf(r), EXIT.unavailable)
      if (r.status !== 204 && r.status !== 200) throw c.api.unexpected('DELETE', path, r)
      await c.finish()
    },
  },
]
