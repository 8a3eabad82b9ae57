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
import { registerDefinitionRoutes } from './routes/definitions.js'
import { registerExchangeRoutes } from './routes/exchanges.js'
import { registerHealthRoutes } from './routes/health.js'
import { registerLimitRoutes } from './routes/limits.js'
import { registerMetricsRoutes } from './routes/metrics.js'
import { registerOverviewRoutes } from './routes/overview.js'
import { registerPolicyRoutes } from './routes/policies.js'
import { registerQueueRoutes } from './routes/queues.js'
import { registerTopicPermissionRoutes } from './routes/topic-permissions.js'
import { registerUiRoutes } from './routes/ui.js'
import { createServer } from './server.js'

export type {
  ManagementOptions,
  ConnectionView,
  ChannelView,
  ConsumerView,
  ListenerInfo,
  ResourceView,
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

export async function startManagement(opts: ManagementOptions): Promise<RunningManagement> {
  const clock = opts.clock ?? systemClock
  const ctx: ManagementContext = {
    broker: opts.broker,
    authz: opts.authz,
    users: opts.users,
    connections: opts.connections,
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
  }
  const collect = collectRates(ctx)
  const { app, routes } = createServer(ctx)
  registerOverviewRoutes(routes)
  registerConnectionRoutes(routes)
  registerExchangeRoutes(routes)
  registerQueueRoutes(routes)
  registerBindingRoutes(routes)
  registerAccountRoutes(routes)
  registerLimitRoutes(routes)
  registerTopicPermissionRoutes(routes)
  registerDefinitionRoutes(routes)
  registerHealthRoutes(routes)
  registerUiRoutes(app)
  registerPolicyRoutes(routes)
  registerMetricsRoutes(app, ctx)
  await app.listen({ port: opts.port, host: opts.host ?? '::' })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  ctx.listeners.push({ protocol: 'http', host: opts.host ?? '::', port })
  ctx.rates.start(opts.statsIntervalMs ?? 5000)
  return {
    port,
    close: async () => {
      ctx.rates.stop()
      await app.close()
    },
  }
}
