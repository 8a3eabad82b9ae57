// Warren's public API: start a broker in-process.
export { startBroker, type StartOptions, type RunningBroker, ListenError, StartError } from './boot/index.js'
export type { WarrenConfig } from './config/index.js'
export { ManualClock, systemClock, type Clock, type Logger } from './shared/index.js'
