// Warren's own gauges for a cluster (docs/clustering.md), under warren_ since RabbitMQ has no such
// figures: only the leader serves /metrics (followers pass the scrape through), so these describe the
// cluster as the leader sees it. A single node writes none of them.
import type { ClusterView } from '../context.js'
import type { Exposition } from './exposition.js'

export function emitClusterGauges(out: Exposition, view: ClusterView | undefined): void {
  if (!view) return
  const leader = view.nodes.find((n) => n.role === 'leader')
  if (leader) {
    out.metric(
      'warren_cluster_leader',
      'gauge',
      'Whether the node leads the cluster: 1 on the leader, the node serving these metrics',
      1,
      { node: leader.name },
    )
  }
  const count = (keep: (n: ClusterView['nodes'][number]) => boolean): number => view.nodes.filter(keep).length
  out.metric(
    'warren_cluster_nodes',
    'gauge',
    'Nodes known to the cluster, running or not',
    count(() => true),
  )
  out.metric(
    'warren_cluster_running_nodes',
    'gauge',
    'Cluster nodes running',
    count((n) => n.running),
  )
  out.metric(
    'warren_cluster_in_sync_nodes',
    'gauge',
    'Cluster nodes in sync, the leader included: confirms wait for each of them',
    count((n) => n.in_sync && n.running),
  )
  emitLag(out, view)
}

/** Followers with a replication link (a down one has no lag to report: it is absent until it is back). */
function emitLag(out: Exposition, view: ClusterView): void {
  const linked = view.nodes.filter((n) => n.role === 'follower' && n.replication_state !== 'down')
  out.declare(
    'warren_cluster_replication_lag_operations',
    'gauge',
    'Replicated operations the follower has not acknowledged yet',
  )
  for (const n of linked)
    out.sample('warren_cluster_replication_lag_operations', n.replication_lag_ops, { node: n.name })
  out.declare(
    'warren_cluster_replication_lag_seconds',
    'gauge',
    "How long the follower's oldest unacknowledged operation has waited, 0 when it is caught up",
  )
  for (const n of linked)
    out.sample('warren_cluster_replication_lag_seconds', n.replication_lag_ms / 1000, { node: n.name })
}
