// The composition root's public surface: starting a broker (embedding and `warren server`).
export { DEFAULTS, ListenError, type RunningBroker, startBroker, type StartOptions } from './start-broker.js'
