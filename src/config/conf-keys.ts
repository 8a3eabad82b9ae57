// The settings warren.conf accepts, named as in rabbitmq.conf where RabbitMQ has the setting, and what
// each sets. A RabbitMQ setting Warren has no use for is refused with the reason, not ignored: an operator
// who copies a rabbitmq.conf learns at once what does not carry over.
import { totalmem } from 'node:os'
import { ConfigError, type WarrenConfig } from './config.js'
import {
  confBool,
  confBytes,
  confFraction,
  confInt,
  confListener,
  confLogLevel,
  confPort,
} from './conf-values.js'

export type Settings = Partial<WarrenConfig>
type Apply = (value: string, key: string, into: Settings) => void

const listener =
  (port: 'amqpPort' | 'tlsPort', bind: 'bind') =>
  (v: string, _k: string, into: Settings): void => {
    const l = confListener(v)
    into[port] = l.port
    if (l.bind !== undefined) into[bind] = l.bind
  }

const EXACT: Readonly<Record<string, Apply>> = {
  'listeners.ssl.default': listener('tlsPort', 'bind'),
  'ssl_options.certfile': (v, _k, o) => void (o.tlsCert = v),
  'ssl_options.keyfile': (v, _k, o) => void (o.tlsKey = v),
  'ssl_options.cacertfile': (v, _k, o) => void (o.tlsCa = v),
  'ssl_options.verify': (v, _k, o) => void (o.tlsVerifyPeer = verifyMode(v)),
  'ssl_options.fail_if_no_peer_cert': (v, _k, o) => void (o.tlsFailIfNoPeerCert = confBool(v)),
  'management.tcp.port': (v, _k, o) => void (o.httpPort = confPort(v)),
  'management.tcp.ip': (v, _k, o) => void (o.httpBind = v),
  'prometheus.tcp.port': (v, _k, o) => void (o.prometheusPort = confPort(v)),
  'prometheus.tcp.ip': (v, _k, o) => void (o.prometheusBind = v),
  'stream.listeners.tcp.1': (v, _k, o) => void (o.streamPort = confListener(v).port),
  'stream.listeners.tcp.default': (v, _k, o) => void (o.streamPort = confListener(v).port),
  'stream.advertised_host': (v, _k, o) => void (o.streamAdvertisedHost = v),
  'stream.advertised_port': (v, _k, o) => void (o.streamAdvertisedPort = confPort(v)),
  default_user: (v, _k, o) => void (o.defaultUser = v),
  default_pass: (v, _k, o) => void (o.defaultPass = v),
  default_vhost: (v, _k, o) => void (o.defaultVhost = v),
  'default_permissions.configure': (v, _k, o) => permission(o, 'configure', v),
  'default_permissions.write': (v, _k, o) => permission(o, 'write', v),
  'default_permissions.read': (v, _k, o) => permission(o, 'read', v),
  loopback_users: (v, _k, o) => {
    if (v !== 'none') throw new ConfigError(`expected 'none' or loopback_users.<user> = true|false`)
    o.loopbackUsers = []
  },
  'vm_memory_high_watermark.relative': (v, _k, o) => void (o.memoryHighWatermark = confFraction(v, 1)),
  'vm_memory_high_watermark.absolute': (v, _k, o) => void (o.memoryHighWatermark = atLeastTwo(confBytes(v))),
  'disk_free_limit.absolute': (v, _k, o) => void (o.diskFreeLimit = confBytes(v)),
  // RabbitMQ's relative disk limit is a multiple of the machine's RAM.
  'disk_free_limit.relative': (v, _k, o) =>
    void (o.diskFreeLimit = Math.round(confFraction(v, 100) * totalmem())),
  cluster_name: (v, _k, o) => void (o.clusterName = v),
  'cluster_formation.peer_discovery_backend': (v) => {
    if (!['etcd', 'rabbit_peer_discovery_etcd'].includes(v))
      throw new ConfigError(`Warren clusters through etcd only: 'etcd' (docs/clustering.md)`)
  },
  'cluster_formation.etcd.scheme': (v) => {
    if (v !== 'http') throw new ConfigError(`Warren reaches etcd over plain http only`)
  },
  // Warren's own: RabbitMQ's nodes cluster over Erlang distribution, Warren's over this port.
  'cluster.port': (v, _k, o) => void (o.clusterPort = confPort(v)),
  'cluster.lease': (v, _k, o) => void (o.clusterLease = confInt(v)),
  load_definitions: (v, _k, o) => void (o.loadDefinitions = v),
  'definitions.local.path': (v, _k, o) => void (o.loadDefinitions = v),
  'definitions.import_backend': (v) => {
    if (v !== 'local_filesystem')
      throw new ConfigError(`Warren imports definitions from a local file only ('local_filesystem')`)
  },
  'log.console': (v) => {
    if (!confBool(v))
      throw new ConfigError(
        'Warren logs to the console (stdout) only; it cannot be turned off, set log.console.level = none',
      )
  },
  'log.console.level': (v, _k, o) => void (o.logLevel = confLogLevel(v)),
  'log.console.formatter': (v, _k, o) => void (o.logFormat = logFormat(v)),
  'log.file': (v) => {
    if (v !== 'false')
      throw new ConfigError(
        'Warren writes no log files: it logs to stdout (journald, docker logs); set log.file = false or remove the line',
      )
  },
  frame_max: (v, _k, o) => void (o.frameMax = confInt(v, 4096)),
  channel_max: (v, _k, o) => void (o.channelMax = confInt(v)),
  heartbeat: (v, _k, o) => void (o.heartbeat = confInt(v)),
  max_message_size: (v, _k, o) => void (o.maxMessageSize = confInt(v, 1)),
  'mqtt.listeners.tcp.default': (v, _k, o) => void (o.mqttPort = confListener(v).port),
  'mqtt.listeners.ssl.default': (v, _k, o) => void (o.mqttTlsPort = confListener(v).port),
  'mqtt.exchange': (v, _k, o) => void (o.mqttExchange = v),
  'mqtt.vhost': (v, _k, o) => void (o.mqttVhost = v),
  'mqtt.allow_anonymous': (v, _k, o) => void (o.mqttAllowAnonymous = confBool(v)),
  'mqtt.prefetch': (v, _k, o) => void (o.mqttPrefetch = confInt(v, 1)),
  'mqtt.topic_alias_maximum': (v, _k, o) => void (o.mqttTopicAliasMaximum = Math.min(confInt(v), 65535)),
  'mqtt.subscription_ttl': (v, _k, o) =>
    void (o.mqttSubscriptionTtl = v === 'undefined' ? undefined : confInt(v, 1)),
  'stomp.listeners.tcp.default': (v, _k, o) => void (o.stompPort = confListener(v).port),
  // RabbitMQ's own examples name the STOMP TLS listener .1; .default is taken too, as for MQTT.
  'stomp.listeners.ssl.1': (v, _k, o) => void (o.stompTlsPort = confListener(v).port),
  'stomp.listeners.ssl.default': (v, _k, o) => void (o.stompTlsPort = confListener(v).port),
  'stomp.default_vhost': (v, _k, o) => void (o.stompVhost = v),
  'web_mqtt.tcp.port': (v, _k, o) => void (o.webMqttPort = confPort(v)),
  'web_stomp.tcp.port': (v, _k, o) => void (o.webStompPort = confPort(v)),
  'web_mqtt.ssl.port': (v, _k, o) => void (o.webMqttTlsPort = confPort(v)),
  'web_stomp.ssl.port': (v, _k, o) => void (o.webStompTlsPort = confPort(v)),
  // Warren's own: RabbitMQ takes its data directory from RABBITMQ_MNESIA_BASE, not from the file.
  data_dir: (v, _k, o) => void (o.dataDir = v),
}

/** Settings with a name of their own inside the key: listeners.tcp.<name>, loopback_users.<user>, ... */
const PATTERNS: ReadonlyArray<[RegExp, Apply]> = [
  [
    // RabbitMQ's etcd peer discovery names the members as host:port (an http:// URL is taken too).
    /^cluster_formation\.etcd\.endpoints\.[^.]+$/,
    (v, _k, o) => {
      const url = /^https?:\/\//.test(v) ? v : `http://${v}`
      o.clusterEtcd = o.clusterEtcd ? `${o.clusterEtcd},${url}` : url
    },
  ],
  [/^listeners\.tcp\.[^.]+$/, listener('amqpPort', 'bind')],
  [
    /^loopback_users\.[^.]+$/,
    (v, k, o) => {
      const user = k.slice('loopback_users.'.length)
      const users = new Set(o.loopbackUsers ?? ['guest'])
      if (confBool(v)) users.add(user)
      else users.delete(user)
      o.loopbackUsers = [...users]
    },
  ],
  [
    /^default_user_tags\.[^.]+$/,
    (v, k, o) => {
      const tag = k.slice('default_user_tags.'.length)
      const tags = new Set(o.defaultUserTags ?? [])
      if (confBool(v)) tags.add(tag)
      else tags.delete(tag)
      o.defaultUserTags = [...tags]
    },
  ],
]

/** RabbitMQ settings with no meaning in Warren (yet), and why. */
const UNSUPPORTED: ReadonlyArray<[RegExp, string]> = [
  [
    /^cluster_partition_handling/,
    'a cut-off leader stops through its etcd lease, and the other side elects another (docs/clustering.md)',
  ],
  [/^cluster_formation\./, 'Warren clusters through etcd: cluster_formation.etcd.endpoints.<n> = host:port'],
  [/^management\.ssl\.|^prometheus\.ssl\./, 'the HTTP listeners speak plain HTTP; put a TLS proxy in front'],
  [/^listeners\.ssl\.(?!default$)/, 'Warren has one AMQPS listener: use listeners.ssl.default'],
  [/^auth_backends\.|^auth_ldap\.|^auth_oauth2\./, 'Warren authenticates against its own users only'],
  [/^log\.(file|exchange|syslog)\./, 'Warren logs to stdout only (journald, docker logs)'],
  [
    /^mqtt\.listeners\./,
    'Warren has one MQTT listener and one MQTT TLS listener: use mqtt.listeners.tcp.default and mqtt.listeners.ssl.default',
  ],
  [/^mqtt\./, 'that MQTT setting is not available in Warren yet'],
  [
    /^stomp\.listeners\./,
    'Warren has one STOMP listener and one STOMP TLS listener: use stomp.listeners.tcp.default and stomp.listeners.ssl.1 (or .default)',
  ],
  [/^stomp\./, 'that STOMP setting is not available in Warren yet'],
  [
    /^web_mqtt\.|^web_stomp\./,
    'Warren takes web_mqtt.tcp.port, web_mqtt.ssl.port, web_stomp.tcp.port and web_stomp.ssl.port (path /ws; TLS with the ssl_options certificate)',
  ],
  [/^stream\./, 'Warren takes stream.listeners.tcp.1, stream.advertised_host and stream.advertised_port'],
]

/** Applies one `key = value` to `into`; throws ConfigError with the reason (without the file:line). */
export function applySetting(key: string, value: string, into: Settings): void {
  const apply = EXACT[key] ?? PATTERNS.find(([re]) => re.test(key))?.[1]
  if (apply) return apply(value, key, into)
  const unsupported = UNSUPPORTED.find(([re]) => re.test(key))
  if (unsupported) throw new ConfigError(`${key} is not supported: ${unsupported[1]}`)
  throw new ConfigError(`unknown setting '${key}'`)
}

/** Every exact setting name, for "did you mean". */
export const SETTING_NAMES: readonly string[] = [
  ...Object.keys(EXACT),
  'listeners.tcp.default',
  'cluster_formation.etcd.endpoints.1',
  'loopback_users.guest',
  'default_user_tags.administrator',
]

function permission(o: Settings, which: 'configure' | 'write' | 'read', v: string): void {
  o.defaultPermissions = {
    ...(o.defaultPermissions ?? { configure: '.*', write: '.*', read: '.*' }),
    [which]: v,
  }
}

function verifyMode(v: string): boolean {
  if (v === 'verify_peer') return true
  if (v === 'verify_none') return false
  throw new ConfigError(`expected verify_peer or verify_none, got '${v}'`)
}

function logFormat(v: string): 'text' | 'json' {
  if (v === 'json') return 'json'
  if (v === 'plaintext' || v === 'text') return 'text'
  throw new ConfigError(`expected plaintext or json, got '${v}'`)
}

/** Memory limits are fractions up to 1 and bytes above it (see WarrenConfig.memoryHighWatermark). */
function atLeastTwo(bytes: number): number {
  if (bytes < 2) throw new ConfigError(`an absolute memory limit of ${bytes} bytes makes no sense`)
  return bytes
}
