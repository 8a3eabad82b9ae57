// `warren server`: runs a broker until SIGINT/SIGTERM, then shuts down cleanly (320 to every client).
// Settings: flags > environment > configuration file (--config, WARREN_CONFIG_FILE or
// RABBITMQ_CONFIG_FILE) > defaults. A start that fails is one line on stderr and exit code 1.
import { Command, InvalidArgumentError, Option } from 'commander'
import {
  describeStartFailure,
  type RunningBroker,
  type RunningClusterNode,
  startBroker,
  startClusterNode,
} from '../boot/index.js'
import {
  combineLayers,
  type ConfigLayer,
  configFileFromEnv,
  type ConfigSources,
  ConfigError,
  DEFAULTS,
  flagLayer,
  parseLogFormat,
  parseLogLevel,
  parsePositive,
  parsePort,
  readConfFile,
  settingsFromEnv,
  type WarrenConfig,
} from '../config/index.js'

const asPort = (what: string) => (v: string) => wrap(() => parsePort(v, what))
const wrap = <T>(f: () => T): T => {
  try {
    return f()
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
}

export function serverCommand(): Command {
  return new Command('server')
    .description(
      'start the broker (settings: flags > WARREN_*/RABBITMQ_* environment variables > configuration file > defaults)',
    )
    .option('--config <file>', 'configuration file in rabbitmq.conf style (also WARREN_CONFIG_FILE)')
    .addOption(
      new Option(
        '--amqp-port <port>',
        `AMQP listener port, 0 picks a free one (default ${DEFAULTS.amqpPort})`,
      ).argParser(asPort('--amqp-port')),
    )
    .addOption(
      new Option('--http-port <port>', `HTTP API port (default ${DEFAULTS.httpPort})`).argParser(
        asPort('--http-port'),
      ),
    )
    .addOption(
      new Option(
        '--prometheus-port <port>',
        `Prometheus /metrics port (default ${DEFAULTS.prometheusPort})`,
      ).argParser(asPort('--prometheus-port')),
    )
    .addOption(
      new Option(
        '--stream-port <port>',
        `Stream protocol port, 0 for none (default ${DEFAULTS.streamPort})`,
      ).argParser(asPort('--stream-port')),
    )
    .option('--data-dir <dir>', `data directory (default ${DEFAULTS.dataDir})`)
    .option('--bind <addr>', 'address to listen on (default: all interfaces)')
    .addOption(
      new Option('--log-level <level>', `log level (default ${DEFAULTS.logLevel})`).argParser((v) =>
        wrap(() => parseLogLevel(v)),
      ),
    )
    .addOption(
      new Option(
        '--memory-high-watermark <n>',
        `block publishers above this much memory: a fraction of RAM (≤ 1) or bytes (default ${DEFAULTS.memoryHighWatermark})`,
      ).argParser((v) => wrap(() => parsePositive(v, '--memory-high-watermark'))),
    )
    .addOption(
      new Option(
        '--disk-free-limit <bytes>',
        `block publishers when free disk is below this (default ${DEFAULTS.diskFreeLimit})`,
      ).argParser((v) => wrap(() => parsePositive(v, '--disk-free-limit'))),
    )
    .addOption(
      new Option(
        '--tls-port <port>',
        'AMQPS (AMQP over TLS) listener port, e.g. 5671 (needs --tls-cert and --tls-key)',
      ).argParser(asPort('--tls-port')),
    )
    .addOption(
      new Option(
        '--mqtt-port <port>',
        `MQTT listener port, 0 turns MQTT off (default ${DEFAULTS.mqttPort})`,
      ).argParser(asPort('--mqtt-port')),
    )
    .addOption(
      new Option(
        '--mqtt-tls-port <port>',
        'MQTT over TLS listener port, e.g. 8883 (needs --tls-cert and --tls-key)',
      ).argParser(asPort('--mqtt-tls-port')),
    )
    .addOption(
      new Option(
        '--stomp-port <port>',
        `STOMP listener port, 0 turns STOMP off (default ${DEFAULTS.stompPort})`,
      ).argParser(asPort('--stomp-port')),
    )
    .addOption(
      new Option(
        '--stomp-tls-port <port>',
        'STOMP over TLS listener port, e.g. 61614 (needs --tls-cert and --tls-key)',
      ).argParser(asPort('--stomp-tls-port')),
    )
    .addOption(
      new Option(
        '--web-mqtt-port <port>',
        `MQTT over WebSocket (ws://host:port/ws) listener port, 0 turns it off (default ${DEFAULTS.webMqttPort})`,
      ).argParser(asPort('--web-mqtt-port')),
    )
    .addOption(
      new Option(
        '--web-stomp-port <port>',
        `STOMP over WebSocket (ws://host:port/ws) listener port, 0 turns it off (default ${DEFAULTS.webStompPort})`,
      ).argParser(asPort('--web-stomp-port')),
    )
    .addOption(
      new Option(
        '--web-mqtt-tls-port <port>',
        'MQTT over secure WebSocket (wss://host:port/ws) listener port (needs --tls-cert and --tls-key)',
      ).argParser(asPort('--web-mqtt-tls-port')),
    )
    .addOption(
      new Option(
        '--web-stomp-tls-port <port>',
        'STOMP over secure WebSocket (wss://host:port/ws) listener port (needs --tls-cert and --tls-key)',
      ).argParser(asPort('--web-stomp-tls-port')),
    )
    .option('--tls-cert <file>', 'PEM certificate (chain) for the AMQPS listener')
    .option('--tls-key <file>', 'PEM private key for the AMQPS listener')
    .option('--tls-ca <file>', 'PEM CA certificates for client certificates')
    .addOption(
      new Option(
        '--log-format <format>',
        'log lines as text or json (default: text on a terminal, json otherwise)',
      ).argParser((v) => wrap(() => parseLogFormat(v, '--log-format'))),
    )
    .option(
      '--cluster-etcd <urls>',
      'etcd client URLs, comma-separated: run as a cluster node (also WARREN_CLUSTER_ETCD)',
    )
    .option(
      '--node-name <name>',
      "this node's name in the cluster (default warren@<hostname>; WARREN_NODE_NAME)",
    )
    .addOption(
      new Option(
        '--cluster-port <port>',
        `replication listener of a cluster node (default ${DEFAULTS.clusterPort}; WARREN_CLUSTER_PORT)`,
      ).argParser(asPort('--cluster-port')),
    )
    .option('--cluster-name <name>', `names the cluster in etcd (default ${DEFAULTS.clusterName})`)
    .addOption(
      new Option(
        '--cluster-lease <seconds>',
        `leader lease in etcd (default ${DEFAULTS.clusterLease}): a lost leader is replaced within about this`,
      ).argParser((v) => wrap(() => parsePositive(v, '--cluster-lease'))),
    )
    .action(async (opts: Partial<WarrenConfig> & { config?: string }) => {
      const { config: file, ...flags } = opts
      let settings: { config: WarrenConfig; sources: ConfigSources; files: string[] }
      try {
        settings = await loadSettings(file, flags)
      } catch (err) {
        if (err instanceof ConfigError) fail(err.message)
        throw err
      }
      await run(settings)
    })
}

/** The settings in effect: the layers in increasing precedence, with where each setting came from. */
async function loadSettings(
  file: string | undefined,
  flags: Partial<WarrenConfig>,
): Promise<{ config: WarrenConfig; sources: ConfigSources; files: string[] }> {
  const path = file ?? configFileFromEnv(process.env)?.path
  const layers: ConfigLayer[] = []
  if (path !== undefined) layers.push(await readConfFile(path))
  const env = settingsFromEnv(process.env)
  layers.push({ values: env.values, origins: prefixed('env ', env.origins) }, flagLayer(flags))
  return { ...combineLayers(layers), files: path === undefined ? [] : [path] }
}

const prefixed = <T extends object>(prefix: string, o: T): T =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, `${prefix}${String(v)}`])) as T

async function run(settings: {
  config: WarrenConfig
  sources: ConfigSources
  files: string[]
}): Promise<void> {
  let broker: RunningBroker | RunningClusterNode | undefined
  // Set before the start, so that a signal during it is not lost: the broker stops once it has started
  // (a signal in the middle of recovery does not leave the data directory half-read).
  let stopReason: string | undefined
  const stop = (why: string): void => {
    if (stopReason !== undefined) return
    stopReason = why
    if (broker) shutDown(broker, why)
  }
  process.on('SIGINT', () => stop('received SIGINT'))
  process.on('SIGTERM', () => stop('received SIGTERM'))
  const config = { ...settings.config }
  // A free AMQP port (0) asks for free ports for the listeners not named: several brokers on a machine.
  if (config.amqpPort === 0 && settings.sources.prometheusPort === 'default') config.prometheusPort = 0
  // The Stream port is left out for that: 0 there means no Stream listener, and an absent one a free port.
  const { streamPort, ...rest } = config
  const freeStream = config.amqpPort === 0 && settings.sources.streamPort === 'default'
  try {
    const start = config.clusterEtcd !== undefined ? startClusterNode : startBroker
    broker = await start({
      ...rest,
      ...(freeStream ? {} : { streamPort }),
      configSources: settings.sources,
      configFiles: settings.files,
      requestStop: () => stop('stop requested (warren ctl stop)'),
    })
  } catch (err) {
    // The stack is for Warren's developers: shown only when debugging.
    if (['debug', 'trace'].includes(settings.config.logLevel)) console.error(err)
    fail(describeStartFailure(err))
  }
  if (stopReason !== undefined) shutDown(broker, stopReason)
}

function shutDown(broker: RunningBroker | RunningClusterNode, why: string): void {
  broker.logger.info(`${why}, shutting down`)
  broker.close().then(
    () => process.exit(0),
    (err: unknown) => {
      broker.logger.error({ err }, 'error during shutdown')
      process.exit(1)
    },
  )
}

function fail(message: string): never {
  process.stderr.write(`warren: ${message}\n`)
  process.exit(1)
}
