// `warren server`: runs a broker until SIGINT/SIGTERM, then shuts down cleanly (320 to every client).
// Settings: flags > environment > configuration file (--config, WARREN_CONFIG_FILE or
// RABBITMQ_CONFIG_FILE) > defaults. A start that fails is one line on stderr and exit code 1.
import { Command, InvalidArgumentError, Option } from 'commander'
import { describeStartFailure, type RunningBroker, startBroker } from '../boot/index.js'
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
    .option('--tls-cert <file>', 'PEM certificate (chain) for the AMQPS listener')
    .option('--tls-key <file>', 'PEM private key for the AMQPS listener')
    .option('--tls-ca <file>', 'PEM CA certificates for client certificates')
    .addOption(
      new Option(
        '--log-format <format>',
        'log lines as text or json (default: text on a terminal, json otherwise)',
      ).argParser((v) => wrap(() => parseLogFormat(v, '--log-format'))),
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
  let stopping = false
  let signalledDuringStart: string | undefined
  const stop = (why: string): void => {
    if (!broker) {
      // During the start: stop once it is done (a second signal does not wait).
      if (signalledDuringStart !== undefined) process.exit(1)
      signalledDuringStart = why
      return
    }
    if (stopping) return
    stopping = true
    const running = broker
    running.logger.info(`${why}, shutting down`)
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        running.logger.error({ err }, 'error during shutdown')
        process.exit(1)
      },
    )
  }
  let broker: RunningBroker | undefined
  const config = { ...settings.config }
  // A free AMQP port (0) asks for free ports for the listeners not named: several brokers on a machine.
  if (config.amqpPort === 0 && settings.sources.prometheusPort === 'default') config.prometheusPort = 0
  // Listening before the start: the start logs "started" before it returns, and a signal in between
  // would otherwise kill the process without a clean shutdown.
  process.on('SIGINT', () => stop('received SIGINT'))
  process.on('SIGTERM', () => stop('received SIGTERM'))
  try {
    broker = await startBroker({
      ...config,
      configSources: settings.sources,
      configFiles: settings.files,
      requestStop: () => stop('stop requested (warren ctl stop)'),
    })
  } catch (err) {
    // The stack is for Warren's developers: shown only when debugging.
    if (['debug', 'trace'].includes(settings.config.logLevel)) console.error(err)
    fail(describeStartFailure(err))
  }
  if (signalledDuringStart !== undefined) stop(signalledDuringStart)
}

function fail(message: string): never {
  process.stderr.write(`warren: ${message}\n`)
  process.exit(1)
}
