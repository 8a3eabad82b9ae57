// The composition root: builds the broker from its parts, starts listeners, and stops them in order.
import { readFile, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { PermissionAuthorizer, UserRegistry } from '../auth/index.js'
import { AmqpServer, RABBITMQ_COMPAT_VERSION, serverProperties, WARREN_VERSION } from '../amqp/index.js'
import { DEFAULTS, resolveConfig, type WarrenConfig } from '../config/index.js'
import { Broker, classicQueueType, ExchangeTypes, QueueTypes, standardExchangeTypes } from '../core/index.js'
import { startManagement } from '../management/index.js'
import { openDefinitionStore, openSegmentStore, type SegmentStoreOptions } from '../store/index.js'
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js'
import { Persistence } from './persistence.js'
import { ResourceMonitor } from './resource-monitor.js'
import { type Clock, createLogger, type Logger, type LogLevel, systemClock } from '../shared/index.js'

export interface StartOptions extends Partial<WarrenConfig> {
  /** Defaults to a pino logger at `logLevel` (tests usually pass logLevel 'silent'). */
  logger?: Logger
  clock?: Clock
}

export interface RunningBroker {
  /** amqp://guest:guest@host:port/ for the bound listener. */
  readonly amqpUrl: string
  readonly amqpPort: number
  /** Port of the AMQPS listener, when tlsPort (with tlsCert and tlsKey) was given. */
  readonly amqpsPort: number | undefined
  /** http://host:port/ of the management HTTP API. */
  readonly httpUrl: string
  readonly httpPort: number
  readonly host: string
  readonly broker: Broker
  readonly users: UserRegistry
  readonly config: WarrenConfig
  readonly logger: Logger
  readonly server: AmqpServer
  /** Present when the broker stores definitions and messages on disk (a dataDir was given). */
  readonly persistence: Persistence | undefined
  readonly monitor: ResourceMonitor
  close(): Promise<void>
}

/**
 * Starts a broker. Embedding: `const broker = await startBroker({ amqpPort: 0 })`, then connect any
 * AMQP client to `broker.amqpUrl`, and `await broker.close()` when done.
 */
export async function startBroker(opts: StartOptions = {}): Promise<RunningBroker> {
  const { logger: givenLogger, clock: givenClock, ...overrides } = opts
  const config = resolveConfig(overrides)
  const logger = givenLogger ?? createLogger({ level: config.logLevel as LogLevel })
  const clock = givenClock ?? systemClock
  // The queue and exchange types declares may ask for; a new type is registered here.
  const queueTypes = new QueueTypes(classicQueueType)
  const exchangeTypes = new ExchangeTypes(standardExchangeTypes)
  const broker = new Broker(
    clock,
    logger,
    { maxMessageSize: config.maxMessageSize },
    queueTypes,
    exchangeTypes,
  )
  const users = new UserRegistry()
  const stored = opts.dataDir !== undefined
  const warnNoSpace = atMostEvery(5000, () =>
    logger.warn('the file system of the data directory is full: publishes are nacked, writes retried'),
  )
  const monitor = new ResourceMonitor(broker, {
    memoryHighWatermark: config.memoryHighWatermark,
    diskFreeLimit: config.diskFreeLimit,
    dataDir: stored ? resolve(config.dataDir) : undefined,
  })
  // Embedded brokers keep everything in memory unless given a data directory; `warren server` always is.
  const persistence = stored
    ? await openPersistence(config.dataDir, broker, users, logger, {
        onAppend: (n) => monitor.appended(n),
        onWritten: (n) => monitor.written(n),
        onNoSpace: () => {
          warnNoSpace()
          void monitor.checkDisk()
        },
      })
    : undefined
  broker.durability = persistence
  const recovered = persistence ? await persistence.recover() : false
  if (!recovered) {
    broker.addVhost(config.defaultVhost)
    users.addUser(config.defaultUser, config.defaultPass, ['administrator'])
    users.setPermission(config.defaultUser, config.defaultVhost, { configure: '.*', write: '.*', read: '.*' })
    persistence?.definitionsChanged()
  }

  const authz = new PermissionAuthorizer(users)
  const server = new AmqpServer({
    broker,
    authz,
    users,
    logger,
    clock,
    durability: persistence,
    serverProperties: serverProperties(`warren@${process.env['HOSTNAME'] ?? 'localhost'}`),
    settings: {
      frameMax: config.frameMax,
      channelMax: config.channelMax,
      heartbeat: config.heartbeat,
      handshakeTimeout: 10,
      loopbackUsers: config.loopbackUsers,
    },
  })
  monitor.start()
  logger.info(
    {
      memoryLimitBytes: monitor.memoryLimit,
      heapLimitBytes: monitor.heapLimit,
      diskFreeLimitBytes: config.diskFreeLimit,
    },
    `memory high watermark ${mib(monitor.memoryLimit)} MiB (heap ${mib(monitor.heapLimit)} MiB), disk free limit ${(config.diskFreeLimit / 1e6).toFixed(0)} MB`,
  )
  const address = await listenOrExplain(server, config).catch((err: unknown) => {
    monitor.stop()
    throw err
  })
  const host = hostForUrl(address)
  logger.info(
    { port: address.port, address: address.address },
    `AMQP 0-9-1 listener started on ${host}:${address.port}`,
  )
  const tlsPort = await listenTls(server, config, host, logger)
  // An embedded broker asked for a free AMQP port gets a free HTTP port too, unless it names one.
  const management = await startManagement({
    authz,
    port: opts.httpPort ?? (opts.amqpPort === 0 ? 0 : config.httpPort),
    host: config.bind,
    broker,
    users,
    connections: server.connections,
    listeners: [{ protocol: 'amqp', host: address.address, port: address.port }],
    nodeName: `warren@${process.env['HOSTNAME'] ?? 'localhost'}`,
    rabbitmqVersion: RABBITMQ_COMPAT_VERSION,
    productVersion: WARREN_VERSION,
    loopbackUsers: config.loopbackUsers,
    logger,
    clock,
    onDefinitionsChanged: () => persistence?.definitionsChanged(),
    resources: () => monitor.status(),
    durableSettled: () => persistence?.settled() ?? Promise.resolve(),
  }).catch(async (err: unknown) => {
    await server.close()
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    throw new ListenError(`HTTP port ${config.bind ?? '0.0.0.0'}:${config.httpPort} is already in use`)
  })
  logger.info({ port: management.port }, `HTTP API listener started on ${host}:${management.port}`)
  let closing: Promise<void> | undefined
  return {
    amqpUrl: `amqp://${config.defaultUser}:${config.defaultPass}@${host}:${address.port}/`,
    amqpPort: address.port,
    amqpsPort: tlsPort,
    httpUrl: `http://${host}:${management.port}/`,
    httpPort: management.port,
    host,
    broker,
    users,
    config,
    logger,
    server,
    persistence,
    monitor,
    close: () =>
      (closing ??= (async () => {
        monitor.stop()
        await management.close()
        await server.close()
        broker.stop()
        await persistence?.close()
        logger.info('broker stopped')
      })()),
  }
}

export class ListenError extends Error {}

async function listenOrExplain(server: AmqpServer, config: WarrenConfig): Promise<AddressInfo> {
  try {
    return await server.listen(config.amqpPort, config.bind)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const where = `${config.bind ?? '0.0.0.0'}:${config.amqpPort}`
    if (code === 'EADDRINUSE') throw new ListenError(`AMQP port ${where} is already in use`)
    if (code === 'EACCES') throw new ListenError(`no permission to listen on AMQP port ${where}`)
    if (code === 'EADDRNOTAVAIL')
      throw new ListenError(`cannot bind AMQP listener to ${where}: address not available`)
    throw err
  }
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0)

function atMostEvery(ms: number, fn: () => void): () => void {
  let last = -Infinity
  return () => {
    if (Date.now() - last < ms) return
    last = Date.now()
    fn()
  }
}

async function openPersistence(
  dataDir: string,
  broker: Broker,
  users: UserRegistry,
  logger: Logger,
  watch: Pick<SegmentStoreOptions, 'onAppend' | 'onWritten' | 'onNoSpace'>,
): Promise<Persistence> {
  const dir = resolve(dataDir)
  // The definition store creates the directory durably (its parent's entry fsynced too).
  const definitions = await openDefinitionStore(dir)
  let unlock: () => Promise<void>
  try {
    unlock = await lockDataDir(dir)
  } catch (err) {
    if (err instanceof DataDirInUseError) throw new ListenError(err.message)
    throw err
  }
  const messages = await openSegmentStore(join(dir, 'queues'), { logger, ...watch })
  // Messages of non-durable queues paged out under memory pressure do not outlive the process.
  const pagingDir = join(dir, 'paging')
  await rm(pagingDir, { recursive: true, force: true })
  const paging = await openSegmentStore(pagingDir, { logger, ...watch, fsync: false })
  logger.info({ dataDir: dir }, `data directory ${dir}`)
  return new Persistence(broker, users, definitions, messages, logger, unlock, paging)
}

async function listenTls(
  server: AmqpServer,
  config: WarrenConfig,
  host: string,
  logger: Logger,
): Promise<number | undefined> {
  if (config.tlsPort === undefined) return undefined
  const read = (path: string | undefined): Promise<Buffer> | undefined =>
    path === undefined ? undefined : readFile(path)
  let options
  try {
    const [cert, key, ca] = await Promise.all([read(config.tlsCert), read(config.tlsKey), read(config.tlsCa)])
    options = { cert, key, ...(ca ? { ca } : {}) }
  } catch (err) {
    await server.close()
    throw new ListenError(`cannot read the TLS certificate or key: ${(err as Error).message}`)
  }
  const where = `${config.bind ?? '0.0.0.0'}:${config.tlsPort}`
  const address = await server.listenTls(config.tlsPort, config.bind, options).catch(async (err: unknown) => {
    await server.close()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new ListenError(`AMQPS port ${where} is already in use`)
    throw err
  })
  logger.info(
    { port: address.port },
    `AMQPS (AMQP 0-9-1 over TLS) listener started on ${host}:${address.port}`,
  )
  return address.port
}

function hostForUrl(a: AddressInfo): string {
  if (a.address === '::' || a.address === '0.0.0.0') return '127.0.0.1'
  return a.family === 'IPv6' ? `[${a.address}]` : a.address
}

export { DEFAULTS }
