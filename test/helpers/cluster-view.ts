// A node of a cluster view, as a leader hands it to the management API (StartOptions.cluster.view), for
// tests that inject a view instead of running a cluster: a live, in-sync follower unless told otherwise.
import type { StartOptions } from '../../src/index.js'

export type ClusterOption = NonNullable<StartOptions['cluster']>
export type ClusterNodeView = Awaited<ReturnType<ClusterOption['view']>>['nodes'][number]

export const clusterNode = (name: string, o: Partial<ClusterNodeView> = {}): ClusterNodeView => ({
  name,
  running: true,
  role: 'follower',
  in_sync: true,
  replication_state: 'live',
  replication_lag_ops: 0,
  replication_lag_ms: 0,
  ...o,
})
