// Clustering on etcd (issue 12): coordination, replication of the stores from the leader to its
// followers, and the client proxy of followers. boot/cluster-node.ts wires them; docs/clustering.md.
export { type CoordinatorOptions, Coordinator, type Member, type Role } from './coordinator.js'
export { EtcdGateway, EtcdUnavailable, type KeyValue } from './etcd-gateway.js'
export { ReplicationLeader, NotLeaderError, type FollowerStatus } from './replication-leader.js'
export { ReplicationFollower, type LocalStores } from './replication-follower.js'
export { ReplicatedDefinitionStore, ReplicatedMessageStore } from './replicated-stores.js'
export { ClientProxy } from './client-proxy.js'
