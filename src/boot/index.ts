// The composition root's public surface: starting a broker (embedding and `warren server`).
export { DEFAULTS, type RunningBroker, startBroker, type StartOptions } from './start-broker.js'
export { describeStartFailure, ListenError, StartError } from './start-errors.js'
export { type RunningClusterNode, startClusterNode } from './cluster-node.js'
