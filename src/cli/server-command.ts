// `warren server`: runs a broker until SIGINT/SIGTERM, then shuts down cleanly (320 to every client).
import { Command, InvalidArgumentError, Option } from 'commander'
import { startBroker, ListenError } from '../boot/index.js'
import {
  ConfigError,
  configFromEnv,
  DEFAULTS,
  parseLogLevel,
  parsePositive,
  parsePort,
  resolveConfig,
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
    .description('start the broker (settings also from WARREN_* environment variables; flags win)')
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
    .action(async (flags: Partial<WarrenConfig>) => {
      let config: WarrenConfig
      try {
        config = resolveConfig(configFromEnv(process.env), flags)
      } catch (err) {
        if (err instanceof ConfigError) fail(err.message)
        throw err
      }
      await run(config)
    })
}

async function run(config: WarrenConfig): Promise<void> {
  let broker
  try {
    broker = await startBroker(config)
  } catch (err) {
    if (err instanceof ListenError) fail(err.message)
    throw err
  }
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    broker.logger.info(`received ${signal}, shutting down`)
    broker.close().then(
      () => process.exit(0),
      (err: unknown) => {
        broker.logger.error({ err }, 'error during shutdown')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

function fail(message: string): never {
  process.stderr.write(`warren: ${message}\n`)
  process.exit(1)
}
