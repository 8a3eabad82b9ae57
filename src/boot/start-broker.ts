// The composition root: builds the broker from its parts, starts listeners, and stops them in order.
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { PermissionAuthorizer, UserRegistry } from '../auth/index.js'
import { AmqpServer, RABBITMQ_COMPAT_VERSION, serverProperties, WARREN_VERSION } from '../amqp/index.js'
import { type ConfigSources, DEFAULTS, resolveConfig, type WarrenConfig } from '../config/index.js'
import {
  Broker,
  classicQueueType,
  quorumQueueType,
  ExchangeTypes,
  pluginExchangeTypes,
  delayedExchangeType,
  QueueTypes,
  standardExchangeTypes,
  streamQueueType,
} from '../core/index.js'
import { type ClusterView, createManagement, type Management } from '../management/index.js'
import type { MqttServer } from '../mqtt/index.js'
import type { StompServer } from '../stomp/index.js'
import { type Clock, createLogger, type Logger, systemClock } from '../shared/index.js'
import { cronSchedules } from './cron-schedules.js'
import { createMqtt } from './mqtt-front-end.js'
import { createStomp } from './stomp-front-end.js'
import { createDefaults, embeddedSources, environmentView, loadDefinitionsFile } from './boot-settings.js'
import {
  boundAddress,
  hostForUrl,
  listenAmqp,
  listenAmqps,
  listenError,
  listenMqtt,
  listenStomp,
  type MqttBound,
  type StompBound,
} from './listeners.js'
import { openPersistence, type StoreWrappers } from './open-persistence.js'
import type { Persistence } from './persistence.js'
import { ResourceMonitor } from './resource-monitor.js'
import { openStreamStorage } from './stream-store.js'
import { streamClientViews, streamConnectionViews } from './stream-connection-views.js'
import { createStreamServer, listenStream } from './stream-listener.js'
import { logWebStarted, openWebListeners, type WebBound } from './web-listeners.js'
import { decodeBatch, type StreamServer } from '../stream-protocol/index.js'

export interface StartOptions extends Partial<WarrenConfig> {
  /** Defaults to a pino logger at `logLevel` (tests usually pass logLevel 'silent'). */
  logger?: Logger
  clock?: Clock
  /** Where each setting came from, for `warren ctl environment` (`warren server` passes them). */
  configSources?: ConfigSources
  configFiles?: string[]
  /** What `warren ctl stop` does; an embedded broker without it refuses the request. */
  requestStop?: () => void
  /**
   * Set by a cluster node that leads (boot/cluster-node.ts): replicated stores, the cluster's view, and
   * how to forget a node that is gone for good.
   */
  cluster?: {
    stores: StoreWrappers
    view: () => Promise<ClusterView>
    forget?: (node: string) => Promise<void>
  }
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
  /** Port of the Stream protocol listener; undefined when it is off. */
  readonly streamPort: number | undefined
  /** Port of the Prometheus listener; undefined when the default port was taken by something else. */
  readonly prometheusPort: number | undefined
  readonly host: string
  readonly broker: Broker
  readonly users: UserRegistry
  readonly config: WarrenConfig
  readonly logger: Logger
  readonly server: AmqpServer
  /** Port of the MQTT listener; undefined when MQTT is off (mqttPort 0) or its default port was taken. */
  readonly mqttPort: number | undefined
  /** Port of the MQTT over TLS listener, when mqttTlsPort was given. */
  readonly mqttsPort: number | undefined
  readonly mqtt: MqttServer
  /** Port of the STOMP listener; undefined when STOMP is off (stompPort 0) or its default port was taken. */
  readonly stompPort: number | undefined
  /** Port of the STOMP over TLS listener, when stompTlsPort was given. */
  readonly stompsPort: number | undefined
  readonly stomp: StompServer
  /** Port of the Web MQTT listener (MQTT over WebSocket, ws://host:port/ws); undefined when it is off. */
  readonly webMqttPort: number | undefined
  /** Port of the Web STOMP listener (STOMP over WebSocket, ws://host:port/ws); undefined when it is off. */
  readonly webStompPort: number | undefined
  /** Ports of the wss:// listeners, when webMqttTlsPort and webStompTlsPort were given. */
  readonly webMqttTlsPort: number | undefined
  readonly webStompTlsPort: number | undefined
  /** Present when the broker stores definitions and messages on disk (a dataDir was given). */
  readonly persistence: Persistence | undefined
  readonly monitor: ResourceMonitor
  /** Stops the broker; `reason` is the text of the 320 CONNECTION_FORCED its clients get. */
  close(reason?: string): Promise<void>
}

/**
 * Starts a broker. Embedding: `const broker = await startBroker({ amqpPort: 0 })`, then connect any
 * AMQP client to `broker.amqpUrl`, and `await broker.close()` when done. A start that fails leaves
 * nothing open, logs no listener as started, and rejects with a StartError or ConfigError saying why.
 */
export async function startBroker(opts: StartOptions = {}): Promise<RunningBroker> {
  const {
    logger: givenLogger,
    clock: givenClock,
    configSources,
    configFiles,
    requestStop,
    cluster,
    ...given
  } = opts
  const config = resolveConfig(given)
  const logger = givenLogger ?? createLogger({ level: config.logLevel, pretty: wantsText(config) })
  const clock = givenClock ?? systemClock
  // The queue and exchange types declares may ask for; a new type is registered here.
  const queueTypes = new QueueTypes(classicQueueType)
  queueTypes.register(quorumQueueType)
  const exchangeTypes = new ExchangeTypes([
    ...standardExchangeTypes,
    ...pluginExchangeTypes,
    delayedExchangeType(cronSchedules),
  ])
  const limits = { maxMessageSize: config.maxMessageSize }
  const broker = new Broker(clock, logger, limits, queueTypes, exchangeTypes)
  const users = new UserRegistry()
  const stored = opts.dataDir !== undefined
  const monitor = new ResourceMonitor(broker, {
    memoryHighWatermark: config.memoryHighWatermark,
    diskFreeLimit: config.diskFreeLimit,
    dataDir: stored ? resolve(config.dataDir) : undefined,
  })
  // Embedded brokers keep everything in memory unless given a data directory; `warren server` always is.
  const persistence = stored
    ? await openPersistence(config.dataDir, broker, users, logger, monitor, cluster?.stores)
    : undefined
  broker.durability = persistence
  // Registered before recovery, which declares the stored stream queues again.
  const streams = openStreamStorage(stored ? config.dataDir : undefined)
  queueTypes.register(streamQueueType(streams.store, decodeBatch))
  const recovered = persistence ? await persistence.recover() : false
  // As RabbitMQ: a node that imports definitions at boot gets its users and vhosts from them only.
  if (!recovered && config.loadDefinitions === undefined) createDefaults(broker, users, config, persistence)

  const authz = new PermissionAuthorizer(users)
  const nodeName = config.nodeName ?? defaultNodeName()
  const server = new AmqpServer({
    broker,
    authz,
    users,
    logger,
    clock,
    durability: persistence,
    serverProperties: serverProperties(nodeName),
    settings: {
      frameMax: config.frameMax,
      channelMax: config.channelMax,
      heartbeat: config.heartbeat,
      handshakeTimeout: 10,
      loopbackUsers: config.loopbackUsers,
    },
  })
  const mqtt = createMqtt(config, { broker, authz, users, logger, clock, persistence, nodeName, stored })
  const streamServer = createStreamServer(config, { broker, authz, users, logger, clock, nodeName })
  const stomp = createStomp(config, { broker, authz, users, logger, clock, persistence, nodeName, stored })
  const sources = configSources ?? embeddedSources(given)
  const management = createManagement({
    authz,
    broker,
    users,
    connections: {
      *[Symbol.iterator]() {
        yield* server.connections
        yield* mqtt.connections
        yield* stomp.connections
        yield* streamConnectionViews(streamServer)
      },
    },
    streamClients: () => streamClientViews(streamServer),
    nodeName,
    rabbitmqVersion: RABBITMQ_COMPAT_VERSION,
    productVersion: WARREN_VERSION,
    loopbackUsers: config.loopbackUsers,
    logger,
    clock,
    onDefinitionsChanged: () => persistence?.definitionsChanged(),
    resources: () => monitor.status(),
    durableSettled: () => persistence?.settled() ?? Promise.resolve(),
    environment: () => environmentView(config, sources, configFiles ?? []),
    requestStop,
    cluster: cluster?.view,
    forgetClusterNode: cluster?.forget,
  })
  let closing: Promise<void> | undefined
  const stopAll = (reason?: string): Promise<void> =>
    (closing ??= (async () => {
      monitor.stop()
      await management.close()
      await mqtt.close()
      await stomp.close()
      await server.close(reason)
      await streamServer.close()
      broker.stop()
      await persistence?.close()
      await streams.close()
    })())
  let bound: Bound
  try {
    if (config.loadDefinitions !== undefined)
      await loadDefinitionsFile(config.loadDefinitions, management, logger)
    bound = await openListeners(server, { mqtt, stomp, streamServer }, management, config, opts)
  } catch (err) {
    await stopAll().catch(() => undefined)
    throw err
  }
  monitor.start()
  logStarted(logger, config, monitor, bound)
  const host = hostForUrl(bound.amqp)
  return {
    amqpUrl: `amqp://${config.defaultUser}:${config.defaultPass}@${host}:${bound.amqp.port}/`,
    amqpPort: bound.amqp.port,
    amqpsPort: bound.amqps?.port,
    httpUrl: `http://${host}:${bound.http.port}/`,
    httpPort: bound.http.port,
    prometheusPort: bound.prometheus?.port,
    streamPort: bound.stream?.port,
    host,
    broker,
    users,
    config,
    logger,
    server,
    mqttPort: bound.mqtt.tcp?.port,
    mqttsPort: bound.mqtt.tls?.port,
    mqtt,
    stompPort: bound.stomp.tcp?.port,
    stompsPort: bound.stomp.tls?.port,
    stomp,
    webMqttPort: bound.web.mqtt?.port,
    webStompPort: bound.web.stomp?.port,
    webMqttTlsPort: bound.web.mqttTls?.port,
    webStompTlsPort: bound.web.stompTls?.port,
    persistence,
    monitor,
    close: async (reason?: string) => {
      await stopAll(reason)
      logger.info('broker stopped')
    },
  }
}

/** RabbitMQ's node names are name@host; Warren's default is warren@ and the host name. */
export function defaultNodeName(): string {
  return `warren@${process.env['HOSTNAME'] ?? 'localhost'}`
}

interface Bound {
  amqp: AddressInfo
  amqps: AddressInfo | undefined
  http: AddressInfo
  /** Undefined when the default port was taken (see listenPrometheus). */
  prometheus: AddressInfo | undefined
  mqtt: MqttBound
  /** Undefined when the Stream listener is off (port 0, or the default port taken). */
  stream: AddressInfo | undefined
  /** tcp is undefined when STOMP is off or its default port was taken. */
  stomp: StompBound
  web: WebBound
}

/** Every listener, or an error: the caller closes whatever opened. */
async function openListeners(
  server: AmqpServer,
  { mqtt, stomp, streamServer }: { mqtt: MqttServer; stomp: StompServer; streamServer: StreamServer },
  management: Management,
  config: WarrenConfig,
  opts: StartOptions,
): Promise<Bound> {
  const amqp = await listenAmqp(server, config)
  management.addListener({ protocol: 'amqp', host: amqp.address, port: amqp.port })
  const amqps = await listenAmqps(server, config)
  if (amqps) management.addListener({ protocol: 'amqp/ssl', host: amqps.address, port: amqps.port })
  const mqttNamed = opts.configSources
    ? opts.configSources.mqttPort !== 'default'
    : opts.mqttPort !== undefined
  const mqttBound = await listenMqtt(mqtt, config, mqttNamed, opts.amqpPort === 0)
  if (mqttBound.tcp)
    management.addListener({ protocol: 'mqtt', host: mqttBound.tcp.address, port: mqttBound.tcp.port })
  if (mqttBound.tls)
    management.addListener({ protocol: 'mqtt/ssl', host: mqttBound.tls.address, port: mqttBound.tls.port })
  const stompNamed = opts.configSources
    ? opts.configSources.stompPort !== 'default'
    : opts.stompPort !== undefined
  const stompBound = await listenStomp(stomp, config, stompNamed, opts.amqpPort === 0)
  if (stompBound.tcp)
    management.addListener({ protocol: 'stomp', host: stompBound.tcp.address, port: stompBound.tcp.port })
  if (stompBound.tls)
    management.addListener({ protocol: 'stomp/ssl', host: stompBound.tls.address, port: stompBound.tls.port })
  const web = await openWebListeners({ mqtt, stomp }, management, config, {
    named: (k) => (opts.configSources ? opts.configSources[k] !== 'default' : opts[k] !== undefined),
    freePorts: opts.amqpPort === 0,
  })
  // An embedded broker asked for a free AMQP port gets a free HTTP port too, unless it names one.
  const httpPort = opts.httpPort ?? (opts.amqpPort === 0 ? 0 : config.httpPort)
  const httpHost = config.httpBind ?? config.bind
  const http = await management.listen(httpPort, httpHost).catch((err: unknown) => {
    throw listenError('HTTP', err, httpHost, httpPort)
  })
  const named = opts.configSources
    ? opts.configSources.streamPort !== 'default'
    : opts.streamPort !== undefined
  const stream = await listenStream(streamServer, config, opts, named, streamServer.o.logger)
  if (stream) management.addListener({ protocol: 'stream', host: stream.address, port: stream.port })
  return {
    amqp,
    amqps,
    http,
    stream,
    prometheus: await listenPrometheus(management, config, opts),
    mqtt: mqttBound,
    stomp: stompBound,
    web,
  }
}

/**
 * The Prometheus listener. A port the operator named must be had; the default one (15692) may be taken by
 * another broker on the machine, and then the metrics stay on the HTTP port only (said in the log), so
 * that a second broker started with only its AMQP and HTTP ports still starts.
 */
async function listenPrometheus(
  management: Management,
  config: WarrenConfig,
  opts: StartOptions,
): Promise<AddressInfo | undefined> {
  const port = opts.prometheusPort ?? (opts.amqpPort === 0 ? 0 : config.prometheusPort)
  const host = config.prometheusBind ?? config.bind
  const named = opts.configSources
    ? opts.configSources.prometheusPort !== 'default'
    : opts.prometheusPort !== undefined
  try {
    return await management.listenPrometheus(port, host)
  } catch (err) {
    if (named || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE')
      throw listenError('Prometheus', err, host, port)
    return undefined
  }
}

function logStarted(logger: Logger, config: WarrenConfig, monitor: ResourceMonitor, b: Bound): void {
  logger.info(
    {
      memoryLimitBytes: monitor.memoryLimit,
      heapLimitBytes: monitor.heapLimit,
      diskFreeLimitBytes: config.diskFreeLimit,
    },
    `memory high watermark ${mib(monitor.memoryLimit)} MiB (heap ${mib(monitor.heapLimit)} MiB), disk free limit ${(config.diskFreeLimit / 1e6).toFixed(0)} MB`,
  )
  const started = (what: string, a: AddressInfo): void =>
    logger.info({ port: a.port, address: a.address }, `${what} listener started on ${boundAddress(a)}`)
  started('AMQP 0-9-1', b.amqp)
  if (b.amqps) started('AMQPS (AMQP 0-9-1 over TLS)', b.amqps)
  if (b.mqtt.tcp) started('MQTT', b.mqtt.tcp)
  else if (config.mqttPort !== 0)
    logger.warn(
      `MQTT port ${config.mqttPort} is in use (another broker?): MQTT is off; set mqtt.listeners.tcp.default (--mqtt-port) to give this broker its own`,
    )
  if (b.mqtt.tls) started('MQTT over TLS', b.mqtt.tls)
  if (b.stream) started('Stream protocol', b.stream)
  if (b.stomp.tcp) started('STOMP', b.stomp.tcp)
  else if (config.stompPort !== 0)
    logger.warn(
      `STOMP port ${config.stompPort} is in use (another broker?): STOMP is off; set stomp.listeners.tcp.default (--stomp-port) to give this broker its own`,
    )
  if (b.stomp.tls) started('STOMP over TLS', b.stomp.tls)
  logWebStarted(logger, config, b.web)
  started('HTTP API', b.http)
  if (b.prometheus) started('Prometheus', b.prometheus)
  else
    logger.warn(
      `Prometheus port ${config.prometheusPort} is in use (another broker?): metrics are served on the HTTP API port only; set prometheus.tcp.port (--prometheus-port) to give this broker its own`,
    )
  logger.info(`Warren ${WARREN_VERSION} started`)
}

/** Text logs on a terminal (or when asked for), JSON for log collectors. */
function wantsText(config: WarrenConfig): boolean {
  return config.logFormat === undefined ? process.stdout.isTTY === true : config.logFormat === 'text'
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0)

export { DEFAULTS }
