// Broker configuration: the settings, their defaults, and checks of values. Where they come from and
// which source wins is in sources.ts.
import { type LogLevel, LOG_LEVELS } from '../shared/index.js'

export interface WarrenConfig {
  amqpPort: number
  httpPort: number
  /** Address to listen on; undefined means every interface. */
  bind: string | undefined
  /** Address of the HTTP API listener when it differs from `bind` (management.tcp.ip). */
  httpBind: string | undefined
  /** Port of the Prometheus listener (/metrics); RabbitMQ's rabbitmq_prometheus uses 15692. */
  prometheusPort: number
  prometheusBind: string | undefined
  /** Port of the Stream protocol listener (RabbitMQ's rabbitmq_stream, 5552); 0: none. */
  streamPort: number
  /** Host and port Stream clients are told to connect to (stream.advertised_host/_port); default: bound. */
  streamAdvertisedHost: string | undefined
  streamAdvertisedPort: number | undefined
  dataDir: string
  logLevel: LogLevel
  /** 'text' (one readable line per entry) or 'json'; undefined: text on a terminal, JSON otherwise. */
  logFormat: LogFormat | undefined
  frameMax: number
  channelMax: number
  heartbeat: number
  maxMessageSize: number
  defaultUser: string
  defaultPass: string
  defaultVhost: string
  /** Tags of the default user (default_user_tags.*). */
  defaultUserTags: string[]
  /** The default user's permissions on the default vhost (default_permissions.*). */
  defaultPermissions: { configure: string; write: string; read: string }
  loopbackUsers: string[]
  /** A definitions file imported at every start (load_definitions). */
  loadDefinitions: string | undefined
  /** Memory alarm threshold: a fraction of total RAM (≤ 1) or bytes (> 1). RabbitMQ's default: 0.4. */
  memoryHighWatermark: number
  /** Free disk below which publishers are blocked, bytes. RabbitMQ's default: 50 MB. */
  diskFreeLimit: number
  /** AMQPS (AMQP over TLS) listener port; none unless set. Needs tlsCert and tlsKey. */
  tlsPort: number | undefined
  /** PEM files of the TLS certificate (chain), its private key and, optionally, CAs for client certificates. */
  tlsCert: string | undefined
  tlsKey: string | undefined
  tlsCa: string | undefined
  /** Ask clients for a certificate (ssl_options.verify = verify_peer) ... */
  tlsVerifyPeer: boolean
  /** ... and refuse those without one (ssl_options.fail_if_no_peer_cert = true). */
  tlsFailIfNoPeerCert: boolean
  /** MQTT listener port (RabbitMQ's mqtt.listeners.tcp.default: 1883); 0 turns MQTT off. */
  mqttPort: number
  /** MQTT over TLS listener port (mqtt.listeners.ssl.default, e.g. 8883); needs tlsCert and tlsKey. */
  mqttTlsPort: number | undefined
  /** The exchange MQTT publishes to and subscribes through (mqtt.exchange). */
  mqttExchange: string
  /** The vhost of an MQTT login that names none in its username (mqtt.vhost). */
  mqttVhost: string
  /** An MQTT client without credentials logs in as the default user (mqtt.allow_anonymous). */
  mqttAllowAnonymous: boolean
  /** Unacknowledged QoS 1 deliveries per MQTT client (mqtt.prefetch). */
  mqttPrefetch: number
  /** x-expires of a persistent MQTT session's queue, ms (mqtt.subscription_ttl); undefined: none. */
  mqttSubscriptionTtl: number | undefined
  /** MQTT 5 topic aliases per connection and direction (mqtt.topic_alias_maximum: 16; 0: none). */
  mqttTopicAliasMaximum: number
  /** STOMP listener port (RabbitMQ's stomp.listeners.tcp.default: 61613); 0 turns STOMP off. */
  stompPort: number
  /** STOMP over TLS listener port (stomp.listeners.ssl.1, e.g. 61614); needs tlsCert and tlsKey. */
  stompTlsPort: number | undefined
  /** Web MQTT (MQTT over WebSocket, path /ws) port (RabbitMQ's web_mqtt.tcp.port: 15675); 0 turns it off. */
  webMqttPort: number
  /** Web STOMP (STOMP over WebSocket, path /ws) port (web_stomp.tcp.port: 15674); 0 turns it off. */
  webStompPort: number
  /** Web MQTT over TLS (wss://, web_mqtt.ssl.port, e.g. 15676), with the AMQPS certificate and key. */
  webMqttTlsPort: number | undefined
  /** Web STOMP over TLS (wss://, web_stomp.ssl.port, e.g. 15673), with the AMQPS certificate and key. */
  webStompTlsPort: number | undefined
  /** The vhost of a STOMP CONNECT without a host header (stomp.default_vhost). */
  stompVhost: string
  /** A STOMP CONNECT without login and passcode logs in as the default user (stomp.default_user). */
  stompAllowAnonymous: boolean
  /** etcd client URLs, comma-separated: set, the node joins a cluster (docs/clustering.md). */
  clusterEtcd: string | undefined
  /** This node's name in the cluster (default warren@<hostname>). */
  nodeName: string | undefined
  /** The replication listener of a cluster node. */
  clusterPort: number
  /** Names the cluster in etcd, so that several clusters can share one etcd. */
  clusterName: string
  /** Lease length in seconds: a leader that cannot renew it stops within half of it. */
  clusterLease: number
}

export type LogFormat = 'text' | 'json'

export const DEFAULTS: WarrenConfig = {
  amqpPort: 5672,
  httpPort: 15672,
  bind: undefined,
  httpBind: undefined,
  prometheusPort: 15692,
  prometheusBind: undefined,
  streamPort: 5552,
  streamAdvertisedHost: undefined,
  streamAdvertisedPort: undefined,
  dataDir: './data',
  logLevel: 'info',
  logFormat: undefined,
  frameMax: 131072,
  channelMax: 2047,
  heartbeat: 60,
  maxMessageSize: 128 * 1024 * 1024,
  defaultUser: 'guest',
  defaultPass: 'guest',
  defaultVhost: '/',
  defaultUserTags: ['administrator'],
  defaultPermissions: { configure: '.*', write: '.*', read: '.*' },
  loopbackUsers: ['guest'],
  loadDefinitions: undefined,
  memoryHighWatermark: 0.4,
  diskFreeLimit: 50_000_000,
  tlsPort: undefined,
  tlsCert: undefined,
  tlsKey: undefined,
  tlsCa: undefined,
  tlsVerifyPeer: false,
  tlsFailIfNoPeerCert: false,
  mqttPort: 1883,
  mqttTlsPort: undefined,
  mqttExchange: 'amq.topic',
  mqttVhost: '/',
  mqttAllowAnonymous: true,
  mqttPrefetch: 10,
  mqttTopicAliasMaximum: 16,
  mqttSubscriptionTtl: 86_400_000,
  stompPort: 61613,
  stompTlsPort: undefined,
  webMqttPort: 15675,
  webStompPort: 15674,
  webMqttTlsPort: undefined,
  webStompTlsPort: undefined,
  stompVhost: '/',
  stompAllowAnonymous: true,
  clusterEtcd: undefined,
  nodeName: undefined,
  clusterPort: 5679,
  clusterName: 'warren',
  clusterLease: 5,
}

export class ConfigError extends Error {}

export function parsePort(value: string, what: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > 65535)
    throw new ConfigError(`invalid ${what} '${value}': expected a port number 0-65535`)
  return n
}

export function parsePositive(value: string, what: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0)
    throw new ConfigError(`invalid ${what} '${value}': expected a non-negative number`)
  return n
}

export function parseLogLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`invalid log level '${value}': expected one of ${LOG_LEVELS.join(', ')}`)
  }
  return value as LogLevel
}

export function resolveConfig(...layers: Array<Partial<WarrenConfig>>): WarrenConfig {
  const cfg: WarrenConfig = { ...DEFAULTS }
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer))
      if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v
  }
  if (cfg.tlsPort !== undefined && (cfg.tlsCert === undefined || cfg.tlsKey === undefined)) {
    throw new ConfigError('a TLS port needs a certificate and a key (--tls-cert and --tls-key)')
  }
  if (cfg.mqttTlsPort !== undefined && (cfg.tlsCert === undefined || cfg.tlsKey === undefined)) {
    throw new ConfigError('an MQTT TLS port needs a certificate and a key (--tls-cert and --tls-key)')
  }
  if (cfg.stompTlsPort !== undefined && (cfg.tlsCert === undefined || cfg.tlsKey === undefined)) {
    throw new ConfigError('a STOMP TLS port needs a certificate and a key (--tls-cert and --tls-key)')
  }
  const webTls = cfg.webMqttTlsPort !== undefined || cfg.webStompTlsPort !== undefined
  if (webTls && (cfg.tlsCert === undefined || cfg.tlsKey === undefined)) {
    throw new ConfigError(
      'a Web MQTT or Web STOMP TLS port needs a certificate and a key (--tls-cert and --tls-key)',
    )
  }
  return cfg
}
