// cluster_status: rabbitmqctl's cluster report from /api/cluster-name, /api/nodes and /api/overview. A
// single node reports itself as the only one, as RabbitMQ does for a standalone node; a Warren cluster
// adds a section with each node's role, whether it is in sync and its replication lag (docs/clustering.md).
import type { CtlCommand } from '../context.js'
import { iface, PURPOSES } from './status.js'

interface NodeView {
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

interface Overview {
  readonly rabbitmq_version?: string
  readonly product_name?: string
  readonly product_version?: string
  readonly node?: string
  readonly listeners?: ReadonlyArray<{ protocol?: string; ip_address?: string; port?: number }>
}

function alarms(nodes: readonly NodeView[]): string[] {
  return nodes.flatMap((n) => [
    ...(n.mem_alarm ? [`Node ${n.name} reported an alarm: memory`] : []),
    ...(n.disk_free_alarm ? [`Node ${n.name} reported an alarm: disk free space`] : []),
  ])
}

/** The listeners of the node that answered (the leader, in a cluster: it serves every client). */
function listenerLines(o: Overview): string[] {
  return (o.listeners ?? []).map(
    (l) =>
      `Node: ${o.node ?? ''}, interface: ${iface(l.ip_address)}, port: ${l.port ?? ''}, ` +
      `protocol: ${l.protocol ?? ''}, purpose: ${PURPOSES[l.protocol ?? ''] ?? l.protocol ?? ''}`,
  )
}

function clusterRows(nodes: readonly NodeView[]): string[] {
  return nodes.map(
    (n) =>
      `${n.name}: ${n.running === false ? 'not running' : (n.role ?? 'leader')}` +
      (n.role === 'follower' && n.running !== false
        ? `, ${n.in_sync ? 'in sync' : 'not in sync'} (${n.replication_state ?? 'down'}), ` +
          `lag ${n.replication_lag_ops ?? 0} operations / ${n.replication_lag_ms ?? 0} ms`
        : ''),
  )
}

export const clusterCommands: readonly CtlCommand[] = [
  {
    name: 'cluster_status',
    summary: 'displays all the nodes in the cluster, their roles and replication state',
    run: async (c) => {
      const [nameBody, nodes, overview] = await Promise.all([
        c.api.get('/api/cluster-name') as Promise<{ name: string }>,
        c.api.get('/api/nodes') as Promise<NodeView[]>,
        c.api.get('/api/overview') as Promise<Overview>,
      ])
      const running = nodes.filter((n) => n.running !== false).map((n) => n.name)
      const version = `RabbitMQ ${overview.rabbitmq_version ?? ''} (${overview.product_name ?? 'Warren'} ${overview.product_version ?? ''})`
      if (c.out.mode.json) {
        return c.out.json({
          cluster_name: nameBody.name,
          disk_nodes: nodes.map((n) => n.name),
          ram_nodes: [],
          feature_flags: [],
          running_nodes: running,
          versions: Object.fromEntries(running.map((n) => [n, version])),
          alarms: alarms(nodes),
          partitions: {},
          listeners: Object.fromEntries(
            running.map((n) => [n, n === overview.node ? (overview.listeners ?? []) : []]),
          ),
          maintenance_status: Object.fromEntries(nodes.map((n) => [n.name, 'not under maintenance'])),
          warren_cluster: nodes.map((n) => ({
            name: n.name,
            running: n.running !== false,
            role: n.role ?? 'leader',
            in_sync: n.in_sync ?? true,
            replication_state: n.replication_state ?? 'leader',
            replication_lag_ops: n.replication_lag_ops ?? 0,
            replication_lag_ms: n.replication_lag_ms ?? 0,
          })),
        })
      }
      c.out.info(`Cluster status of node ${overview.node ?? (await c.nodeName())} ...`)
      const bold = (t: string): string => (c.io.isTTY ? `\x1b[1m${t}\x1b[0m` : t)
      const raised = alarms(nodes)
      const sections: [string, string[]][] = [
        ['Basics', [`Cluster name: ${nameBody.name}`]],
        ['Disk Nodes', nodes.map((n) => n.name)],
        ['Running Nodes', running],
        ['Versions', running.map((n) => `${n}: ${version}`)],
        ['Maintenance status', nodes.map((n) => `Node: ${n.name}, status: not under maintenance`)],
        ['Alarms', raised.length > 0 ? raised : ['(none)']],
        ['Network Partitions', ['(none)']],
        ['Listeners', listenerLines(overview)],
        ['Warren cluster', clusterRows(nodes)],
      ]
      c.out.result(sections.map(([title, lines]) => [bold(title), '', ...lines].join('\n')).join('\n\n'))
    },
  },
]
