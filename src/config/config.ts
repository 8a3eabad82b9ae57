// Broker configuration: defaults, WARREN_* environment variables, then command-line flags (flags win).
import { type LogLevel, LOG_LEVELS } from '../shared/index.js'

export interface WarrenConfig {
  amqpPort: number
  httpPort: number
  /** Address to listen on; undefined means every interface. */
  bind: string | undefined
  dataDir: string
  logLevel: LogLevel
  frameMax: number
  channelMax: number
  heartbeat: number
  maxMessageSize: number
  defaultUser: string
  defaultPass: string
  defaultVhost: string
  loopbackUsers: string[]
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
}

export const DEFAULTS: WarrenConfig = {
  amqpPort: 5672,
  httpPort: 15672,
  bind: undefined,
  dataDir: './data',
  logLevel: 'info',
  frameMax: 131072,
  channelMax: 2047,
  heartbeat: 60,
  maxMessageSize: 128 * 1024 * 1024,
  defaultUser: 'guest',
  defaultPass: 'guest',
  defaultVhost: '/',
  loopbackUsers: ['guest'],
  memoryHighWatermark: 0.4,
  diskFreeLimit: 50_000_000,
  tlsPort: undefined,
  tlsCert: undefined,
  tlsKey: undefined,
  tlsCa: undefined,
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

/** Reads WARREN_AMQP_PORT, WARREN_HTTP_PORT, WARREN_BIND, WARREN_DATA_DIR, WARREN_LOG_LEVEL. */
export function configFromEnv(env: NodeJS.ProcessEnv): Partial<WarrenConfig> {
  const out: Partial<WarrenConfig> = {}
  if (env['WARREN_AMQP_PORT']) out.amqpPort = parsePort(env['WARREN_AMQP_PORT'], 'WARREN_AMQP_PORT')
  if (env['WARREN_HTTP_PORT']) out.httpPort = parsePort(env['WARREN_HTTP_PORT'], 'WARREN_HTTP_PORT')
  if (env['WARREN_BIND']) out.bind = env['WARREN_BIND']
  if (env['WARREN_DATA_DIR']) out.dataDir = env['WARREN_DATA_DIR']
  if (env['WARREN_LOG_LEVEL']) out.logLevel = parseLogLevel(env['WARREN_LOG_LEVEL'])
  if (env['WARREN_MEMORY_HIGH_WATERMARK']) {
    out.memoryHighWatermark = parsePositive(
      env['WARREN_MEMORY_HIGH_WATERMARK'],
      'WARREN_MEMORY_HIGH_WATERMARK',
    )
  }
  if (env['WARREN_TLS_PORT']) out.tlsPort = parsePort(env['WARREN_TLS_PORT'], 'WARREN_TLS_PORT')
  if (env['WARREN_TLS_CERT']) out.tlsCert = env['WARREN_TLS_CERT']
  if (env['WARREN_TLS_KEY']) out.tlsKey = env['WARREN_TLS_KEY']
  if (env['WARREN_TLS_CA']) out.tlsCa = env['WARREN_TLS_CA']
  if (env['WARREN_DISK_FREE_LIMIT'])
    out.diskFreeLimit = parsePositive(env['WARREN_DISK_FREE_LIMIT'], 'WARREN_DISK_FREE_LIMIT')
  return out
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
  return cfg
}
