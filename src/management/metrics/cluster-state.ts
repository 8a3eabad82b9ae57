// Warren's cluster gauges (docs/clustering.md), written by the leader, which serves /metrics for the whole
// cluster (followers pass their Prometheus port through to it): who leads, how many nodes are known,
// running and in sync, and each follower's replication lag. Absent on a single node.
import type { ClusterView } from '../context.js'
import type { Exposition } from './exposition.js'

export function emitClusterState(out: Exposition, view: ClusterView | undefined): void {
  if (!view) return
  const cluster = view.name
  for (const n of view.nodes.filter((x) => x.role === 'leader'))
    out.metric('warren_cluster_leader', 'gauge', 'is 1 on the node that leads the cluster', 1, {
      cluster,
      node: n.name,
    })
  out.metric('warren_cluster_nodes', 'gauge', 'nodes known to the cluster', view.nodes.length, { cluster })
  out.metric(
    'warren_cluster_running_nodes',
    'gauge',
    'nodes of the cluster that are running',
    view.nodes.filter((n) => n.running).length,
    { cluster },
  )
  out.metric(
    'warren_cluster_in_sync_nodes',
    'gauge',
    'nodes holding every confirmed change, the leader included',
    view.nodes.filter((n) => n.in_sync && n.running).length,
    { cluster },
  )
  for (const n of view.nodes.filter((x) => x.role === 'follower' && x.running)) {
    const labels = { cluster, node: n.name }
    out.metric(
      'warren_cluster_replication_lag_operations',
      'gauge',
      'replicated changes the follower has not acknowledged yet',
      n.replication_lag_ops,
      labels,
    )
    out.metric(
      'warren_cluster_replication_lag_seconds',
      'gauge',
      'how long the oldest change the follower has not acknowledged has waited',
      n.replication_lag_ms / 1000,
      labels,
    )
  }
}
