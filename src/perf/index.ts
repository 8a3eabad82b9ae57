// `warren perf`: a load client for AMQP 0-9-1 brokers, built on Warren's own codec (src/protocol) so that
// the client is not what limits the figures. See docs/benchmarks.md.
export { perfCommand } from './command.js'
export {
  runThroughput,
  type ThroughputOptions,
  type ThroughputResult,
  type ProgressSample,
} from './throughput.js'
export { runChurn, type ChurnOptions, type ChurnResult } from './churn.js'
export { runConnections, type ConnectionsOptions, type ConnectionsResult } from './connections.js'
export { LatencyHistogram, type LatencySummary } from './histogram.js'
export { ConfirmTracker } from './confirm-tracker.js'
export { PerfConnection, AmqpCloseError } from './connection.js'
export { parseAmqpUri, redactUri, type AmqpUri } from './uri.js'
export { runStream, type StreamRunOptions, type StreamRunResult, type StreamProgress } from './stream/run.js'
export { runMqtt, type MqttRunOptions, type MqttRunResult, type MqttProgress } from './mqtt/run.js'
export { runStomp, type StompRunOptions, type StompRunResult, type StompProgress } from './stomp/run.js'
