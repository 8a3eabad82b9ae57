// What /api/nodes shows of a cluster, as its leader knows it: the nodes registered in etcd, with the
// replication state of each follower.
import type { Coordinator, ReplicationLeader } from '../cluster/index.js'
import type { ClusterNodeView, ClusterView } from '../management/index.js'

export async function clusterView(
  coordinator: Coordinator,
  replication: ReplicationLeader,
  self: string,
  cluster: string,
): Promise<ClusterView> {
  const [members, known] = await Promise.all([
    coordinator.members().catch(() => []),
    coordinator.knownNodes().catch(() => []),
  ])
  const followers = new Map(replication.status().map((f) => [f.node, f]))
  const names = new Set([self, ...known, ...members.map((m) => m.name), ...followers.keys()].sort())
  const nodes: ClusterNodeView[] = [...names].map((name) => {
    if (name === self) {
      return {
        name,
        running: true,
        role: 'leader',
        in_sync: true,
        replication_state: 'leader',
        replication_lag_ops: 0,
        replication_lag_ms: 0,
      }
    }
    const f = followers.get(name)
    return {
      name,
      running: members.some((m) => m.name === name),
      role: 'follower',
      in_sync: f?.inSync ?? false,
      replication_state: f ? f.state : 'down',
      replication_lag_ops: f?.lagOps ?? 0,
      replication_lag_ms: f?.lagMs ?? 0,
    }
  })
  return { name: cluster, nodes }
}
