// Warren's public API: start a broker in-process.
export {
  startBroker,
  type StartOptions,
  type RunningBroker,
  ListenError,
  StartError,
  // A cluster node (docs/clustering.md): startClusterNode({ clusterEtcd, nodeName, clusterPort, ... }).
  startClusterNode,
  type RunningClusterNode,
} from './boot/index.js'
export type { WarrenConfig } from './config/index.js'
export { ManualClock, systemClock, type Clock, type Logger } from './shared/index.js'
