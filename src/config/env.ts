// Settings from the environment: RabbitMQ's variable names (what its container image and docs use) and
// Warren's WARREN_* ones. When both name one setting, the WARREN_ variable wins.
import {
  type LogFormat,
  parseLogLevel,
  parsePort,
  parsePositive,
  type WarrenConfig,
  ConfigError,
} from './config.js'

type Read = (value: string, name: string) => Partial<WarrenConfig>

const port =
  (
    field:
      | 'amqpPort'
      | 'httpPort'
      | 'tlsPort'
      | 'prometheusPort'
      | 'clusterPort'
      | 'mqttPort'
      | 'streamPort'
      | 'stompPort'
      | 'webMqttPort'
      | 'webStompPort',
  ): Read =>
  (v, n) => ({
    [field]: parsePort(v, n),
  })
const text =
  (
    field:
      | 'bind'
      | 'dataDir'
      | 'defaultUser'
      | 'defaultPass'
      | 'defaultVhost'
      | 'tlsCert'
      | 'tlsKey'
      | 'tlsCa'
      | 'loadDefinitions'
      | 'clusterEtcd'
      | 'nodeName'
      | 'clusterName',
  ): Read =>
  (v) => ({
    [field]: v,
  })

/** Applied in this order, so that a later variable overrides an earlier one for the same setting. */
const VARIABLES: ReadonlyArray<[string, Read]> = [
  ['RABBITMQ_NODE_PORT', port('amqpPort')],
  ['RABBITMQ_NODE_IP_ADDRESS', text('bind')],
  ['RABBITMQ_NODENAME', text('nodeName')],
  ['RABBITMQ_DEFAULT_USER', text('defaultUser')],
  ['RABBITMQ_DEFAULT_PASS', text('defaultPass')],
  ['RABBITMQ_DEFAULT_VHOST', text('defaultVhost')],
  ['WARREN_AMQP_PORT', port('amqpPort')],
  ['WARREN_HTTP_PORT', port('httpPort')],
  ['WARREN_PROMETHEUS_PORT', port('prometheusPort')],
  ['WARREN_STREAM_PORT', port('streamPort')],
  ['WARREN_BIND', text('bind')],
  ['WARREN_DATA_DIR', text('dataDir')],
  ['WARREN_DEFAULT_USER', text('defaultUser')],
  ['WARREN_DEFAULT_PASS', text('defaultPass')],
  ['WARREN_DEFAULT_VHOST', text('defaultVhost')],
  ['WARREN_LOAD_DEFINITIONS', text('loadDefinitions')],
  ['WARREN_LOG_LEVEL', (v) => ({ logLevel: parseLogLevel(v) })],
  ['WARREN_LOG_FORMAT', (v, n) => ({ logFormat: parseLogFormat(v, n) })],
  ['WARREN_MEMORY_HIGH_WATERMARK', (v, n) => ({ memoryHighWatermark: parsePositive(v, n) })],
  ['WARREN_DISK_FREE_LIMIT', (v, n) => ({ diskFreeLimit: parsePositive(v, n) })],
  ['WARREN_TLS_PORT', port('tlsPort')],
  ['WARREN_MQTT_PORT', port('mqttPort')],
  ['WARREN_STOMP_PORT', port('stompPort')],
  ['WARREN_WEB_MQTT_PORT', port('webMqttPort')],
  ['WARREN_WEB_STOMP_PORT', port('webStompPort')],
  ['WARREN_TLS_CERT', text('tlsCert')],
  ['WARREN_TLS_KEY', text('tlsKey')],
  ['WARREN_TLS_CA', text('tlsCa')],
  ['WARREN_CLUSTER_ETCD', text('clusterEtcd')],
  ['WARREN_NODE_NAME', text('nodeName')],
  ['WARREN_CLUSTER_PORT', port('clusterPort')],
  ['WARREN_CLUSTER_NAME', text('clusterName')],
  ['WARREN_CLUSTER_LEASE', (v, n) => ({ clusterLease: parsePositive(v, n) })],
]

export interface EnvSettings {
  values: Partial<WarrenConfig>
  /** For each setting, the variable it came from. */
  origins: Partial<Record<keyof WarrenConfig, string>>
}

/** The settings the environment gives; an empty variable counts as unset. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): EnvSettings {
  const values: Partial<WarrenConfig> = {}
  const origins: Partial<Record<keyof WarrenConfig, string>> = {}
  for (const [name, read] of VARIABLES) {
    const v = env[name]
    if (!v) continue
    const got = read(v, name)
    Object.assign(values, got)
    for (const k of Object.keys(got) as Array<keyof WarrenConfig>) origins[k] = name
  }
  return { values, origins }
}

export function parseLogFormat(v: string, what: string): LogFormat {
  if (v === 'text' || v === 'json') return v
  throw new ConfigError(`invalid ${what} '${v}': expected text or json`)
}

/** The configuration file named by the environment: WARREN_CONFIG_FILE, else RABBITMQ_CONFIG_FILE. */
export function configFileFromEnv(env: NodeJS.ProcessEnv): { path: string; from: string } | undefined {
  for (const name of ['WARREN_CONFIG_FILE', 'RABBITMQ_CONFIG_FILE']) {
    const path = env[name]
    if (path) return { path, from: name }
  }
  return undefined
}
