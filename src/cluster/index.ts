// Clustering on etcd (issue 12): coordination so far — see docs/clustering.md for what is built and what
// is not yet.
export { type CoordinatorOptions, Coordinator, type Member, type Role } from './coordinator.js'
export { EtcdGateway, EtcdUnavailable, type KeyValue } from './etcd-gateway.js'
