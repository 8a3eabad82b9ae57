// The management HTTP API: RabbitMQ 3.10's paths, methods, status codes and snake_case JSON, served
// by fastify. It reads the broker model and the AMQP layer's live connections (through the structural
// views of context.ts) and never touches the wire. See docs/management.md.
import { systemClock } from '../shared/index.js'
import { totalmem } from 'node:os'
import type { ManagementContext, ManagementOptions, ResourceView } from './context.js'
import { collectRates } from './format/stats.js'
import { RateSampler } from './rates.js'
import { registerAccountRoutes } from './routes/accounts.js'
import { registerBindingRoutes } from './routes/bindings.js'
import { registerConnectionRoutes } from './routes/connections.js'
import { registerStreamRoutes } from './routes/streams.js'
import { registerDefinitionRoutes } from './routes/definitions.js'
import { registerDelayedRoutes } from './routes/delayed.js'
import { registerSuperStreamRoutes } from './routes/super-streams.js'
import { registerExchangeRoutes } from './routes/exchanges.js'
import { registerHealthRoutes } from './routes/health.js'
import { registerLimitRoutes } from './routes/limits.js'
import { registerMetricsRoutes } from './routes/metrics.js'
import { registerOverviewRoutes } from './routes/overview.js'
import { registerPolicyRoutes } from './routes/policies.js'
import { registerQueueRoutes } from './routes/queues.js'
import { registerTopicPermissionRoutes } from './routes/topic-permissions.js'
import { registerUiRoutes } from './routes/ui.js'
import { registerCliRoutes } from './routes/cli.js'
import { createServer } from './server.js'
import { importDefinitions } from './definitions.js'
import { badRequest } from './http-errors.js'
import { registerNodeRoutes } from './routes/node-admin.js'
import Fastify, { type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import type { ListenerInfo } from './context.js'

export type {
  ManagementOptions,
  ConnectionView,
  StreamClientView,
  ChannelView,
  ConsumerView,
  ListenerInfo,
  ResourceView,
  EnvironmentView,
  ClusterView,
  ClusterNodeView,
} from './context.js'

/** Without a resource monitor: what the process holds, against RabbitMQ's default watermark. */
function processResources(): ResourceView {
  const m = process.memoryUsage()
  return {
    memUsed: m.heapUsed + m.external,
    memLimit: Math.floor(totalmem() * 0.4),
    diskFree: undefined,
    diskFreeLimit: 0,
  }
}

export interface RunningManagement {
  /** The bound HTTP port. */
  readonly port: number
  close(): Promise<void>
}

/** The management API before and after its HTTP listener starts. */
export interface Management {
  /** Imports a definitions document as POST /api/definitions does; throws an HttpError with the reason. */
  importDefinitions(defs: unknown): void
  /** A listener of another protocol, reported by /api/overview and the port health check. */
  addListener(l: ListenerInfo): void
  /** Starts the HTTP listener (port 0 picks a free one); resolves with the bound address. */
  listen(port: number, host: string | undefined): Promise<AddressInfo>
  /** Starts the Prometheus listener (rabbitmq_prometheus' 15692): /metrics and nothing else. */
  listenPrometheus(port: number, host: string | undefined): Promise<AddressInfo>
  close(): Promise<void>
}

export function createManagement(opts: Omit<ManagementOptions, 'port' | 'host'>): Management {
  const clock = opts.clock ?? systemClock
  const ctx: ManagementContext = {
    broker: opts.broker,
    authz: opts.authz,
    users: opts.users,
    connections: opts.connections,
    streamClients: opts.streamClients ?? (() => []),
    listeners: [...(opts.listeners ?? [])],
    nodeName: opts.nodeName ?? 'warren@localhost',
    rabbitmqVersion: opts.rabbitmqVersion ?? '3.10.8',
    productVersion: opts.productVersion ?? '0.0.0',
    loopbackUsers: opts.loopbackUsers ?? [],
    logger: opts.logger,
    clock,
    startedAt: clock.now(),
    vhostMeta: new Map([['/', { description: 'Default virtual host', tags: [] }]]),
    rates: new RateSampler(clock, (s) => collect(s)),
    definitionsChanged: () => opts.onDefinitionsChanged?.(),
    durableSettled: () => opts.durableSettled?.() ?? Promise.resolve(),
    resources: opts.resources ?? processResources,
    environment: opts.environment,
    requestStop: opts.requestStop,
    cluster: opts.cluster,
    forgetClusterNode: opts.forgetClusterNode,
  }
  const collect = collectRates(ctx)
  const app = buildApp(ctx)
  let prometheus: FastifyInstance | undefined
  return {
    importDefinitions: (defs) => importDefinitions(ctx, asDefinitions(defs)),
    addListener: (l) => ctx.listeners.push(l),
    listen: async (port, host) => {
      await app.listen({ port, host: host ?? '::' })
      const bound = app.server.address() as AddressInfo
      ctx.listeners.push({ protocol: 'http', host: bound.address, port: bound.port })
      ctx.rates.start(opts.statsIntervalMs ?? 5000)
      return bound
    },
    listenPrometheus: async (port, host) => {
      prometheus = Fastify({ logger: false })
      registerMetricsRoutes(prometheus, ctx)
      await prometheus.listen({ port, host: host ?? '::' })
      const bound = prometheus.server.address() as AddressInfo
      ctx.listeners.push({ protocol: 'http/prometheus', host: bound.address, port: bound.port })
      return bound
    },
    close: async () => {
      ctx.rates.stop()
      await app.close()
      await prometheus?.close()
    },
  }
}

export async function startManagement(opts: ManagementOptions): Promise<RunningManagement> {
  const management = createManagement(opts)
  const { port } = await management.listen(opts.port, opts.host)
  return { port, close: () => management.close() }
}

function buildApp(ctx: ManagementContext): FastifyInstance {
  const { app, routes } = createServer(ctx)
  registerOverviewRoutes(routes)
  registerConnectionRoutes(routes)
  registerStreamRoutes(routes)
  registerExchangeRoutes(routes)
  registerDelayedRoutes(routes)
  registerSuperStreamRoutes(routes)
  registerQueueRoutes(routes)
  registerBindingRoutes(routes)
  registerAccountRoutes(routes)
  registerLimitRoutes(routes)
  registerTopicPermissionRoutes(routes)
  registerDefinitionRoutes(routes)
  registerHealthRoutes(routes)
  registerNodeRoutes(routes)
  registerUiRoutes(app)
  registerCliRoutes(app)
  registerPolicyRoutes(routes)
  registerMetricsRoutes(app, ctx)
  return app
}

function asDefinitions(defs: unknown): Record<string, unknown> {
  if (typeof defs !== 'object' || defs === null || Array.isArray(defs))
    throw badRequest('definitions must be a JSON object')
  return defs as Record<string, unknown>
}
