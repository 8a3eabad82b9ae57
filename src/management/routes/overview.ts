// /api/overview, /api/whoami, /api/nodes, /api/cluster-name and the endpoints Warren answers with an
// empty list for now (parameters, feature flags: see docs/management.md).
import { availableParallelism } from 'node:os'
import { requirePolicyAccess, visibleVhosts } from '../auth.js'
import { type ClusterNodeView, type ManagementContext, openConnections } from '../context.js'
import { notFound } from '../http-errors.js'
import { type Item, replyItem, replyList } from '../listing.js'
import type { Routes } from '../server.js'
import {
  addInto,
  FULL_MESSAGE_STATS,
  formatMessageStats,
  trafficByVhost,
  vhostSample,
  withDetails,
} from '../format/stats.js'
import { mayAccessConnection } from './connections.js'
import { memoryBreakdown } from '../format/memory.js'
import { maxFds, openFds } from '../metrics/process.js'
import { sampled } from '../format/samples.js'

/** RabbitMQ lists exchange types by name, each with its description. */
function exchangeTypes(ctx: ManagementContext): Item[] {
  return ctx.broker.exchangeTypes.all
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => ({ name: t.name, description: t.description ?? t.name, enabled: true }))
}

function listeners(ctx: ManagementContext): Item[] {
  return ctx.listeners.map((l) => ({
    node: ctx.nodeName,
    protocol: l.protocol,
    ip_address: l.host,
    port: l.port,
    socket_opts: {},
  }))
}

/** The HTTP listeners, as RabbitMQ's web dispatch lists them (the protocol quoted as Erlang prints it). */
function contexts(ctx: ManagementContext): Item[] {
  const http = ctx.listeners.find((l) => l.protocol === 'http')
  const prometheus = ctx.listeners.find((l) => l.protocol === 'http/prometheus')
  const out: Item[] = [
    {
      node: ctx.nodeName,
      description: 'RabbitMQ Management',
      path: '/',
      ip: http?.host ?? '',
      port: String(http?.port ?? ''),
    },
  ]
  if (prometheus) {
    out.push({
      node: ctx.nodeName,
      description: 'RabbitMQ Prometheus',
      path: '/',
      port: String(prometheus.port),
      protocol: "'http/prometheus'",
    })
  }
  return out
}

export function registerOverviewRoutes(routes: Routes): void {
  routes.add('GET', '/api/overview', 'management', async ({ ctx, user, query }) => {
    // A cluster's name is the one /api/cluster-name gives; a single node's, its own name (as RabbitMQ's).
    const clusterName = ctx.cluster
      ? ((await ctx.cluster().catch(() => undefined))?.name ?? ctx.nodeName)
      : ctx.nodeName
    const vhosts = visibleVhosts(ctx, user)
    const traffic = trafficByVhost(ctx)
    const values: Record<string, number> = {}
    const rates: Record<string, number> = {}
    for (const v of vhosts) {
      addInto(values, vhostSample(v, traffic.get(v.name)))
      addInto(rates, ctx.rates.ratesOf(v))
    }
    const totals = { channels: 0, connections: 0, consumers: 0, exchanges: 0, queues: 0 }
    for (const c of openConnections(ctx)) {
      if (!mayAccessConnection(user, c)) continue
      totals.connections++
      totals.channels += c.channels.size
    }
    for (const v of vhosts) {
      totals.exchanges += v.exchanges.size
      totals.queues += v.queues.size
      for (const q of v.queues.values()) totals.consumers += q.consumerCount
    }
    const queueTotals: Record<string, unknown> = {}
    withDetails(queueTotals, values, rates, ['messages', 'messages_ready', 'messages_unacknowledged'])
    // The node's history is the sum of its vhosts' (kept a day, as RabbitMQ's global policy).
    sampled(ctx, query, vhosts, queueTotals)
    const messageStats = sampled(ctx, query, vhosts, {
      message_stats: formatMessageStats(values, rates, FULL_MESSAGE_STATS),
    }).message_stats
    return replyItem(
      {
        management_version: ctx.rabbitmqVersion,
        rates_mode: 'basic',
        sample_retention_policies: { global: [600, 3600, 28800, 86400], basic: [600, 3600], detailed: [600] },
        exchange_types: exchangeTypes(ctx),
        product_version: ctx.productVersion,
        product_name: 'Warren',
        rabbitmq_version: ctx.rabbitmqVersion,
        cluster_name: clusterName,
        disable_stats: false,
        enable_queue_totals: false,
        message_stats: messageStats,
        queue_totals: queueTotals,
        object_totals: totals,
        statistics_db_event_queue: 0,
        node: ctx.nodeName,
        listeners: listeners(ctx),
        contexts: contexts(ctx),
      },
      query,
    )
  })

  routes.add('GET', '/api/whoami', 'management', ({ user }) => ({ name: user.name, tags: [...user.tags] }))

  routes.add('GET', '/api/nodes', 'monitoring', async ({ ctx, query }) => replyList(await nodes(ctx), query))
  routes.add('GET', '/api/nodes/:node', 'monitoring', async ({ ctx, params, query }) => {
    if (params['node'] !== ctx.nodeName) {
      const other = (await nodes(ctx)).find((n) => n['name'] === params['node'])
      if (!other) throw notFound()
      return other
    }
    // In a cluster the view is sorted by name: this node is not always the first.
    const self = (await nodes(ctx)).find((n) => n['name'] === ctx.nodeName) ?? nodeInfo(ctx)
    // ?memory=true adds the breakdown, as RabbitMQ's node page asks for it.
    return query['memory'] === 'true' ? { ...self, ...memoryBreakdown(ctx) } : self
  })
  routes.add('GET', '/api/nodes/:node/memory', 'monitoring', ({ ctx, params }) => {
    if (params['node'] !== ctx.nodeName) throw notFound()
    return memoryBreakdown(ctx)
  })

  routes.add('GET', '/api/cluster-name', 'management', async ({ ctx }) => ({
    name: ctx.cluster ? (await ctx.cluster()).name : ctx.nodeName,
  }))
  routes.add('GET', '/api/extensions', 'management', () => [])

  for (const path of ['/api/parameters', '/api/parameters/:component', '/api/global-parameters']) {
    routes.add('GET', path, 'policymaker', () => [])
  }
  routes.add('GET', '/api/parameters/:component/:vhost', 'policymaker', ({ ctx, user, params }) => {
    requirePolicyAccess(ctx, user, params['vhost'] as string)
    return []
  })
  routes.add('GET', '/api/feature-flags', 'administrator', () => [])
}

/**
 * This node, and in a cluster the others with what the leader knows of them (RabbitMQ lists a
 * node it cannot reach with running: false and little else). Each cluster node carries its role, whether it
 * is in sync and its replication lag.
 */
async function nodes(ctx: ManagementContext): Promise<Item[]> {
  if (!ctx.cluster) return [nodeInfo(ctx)]
  const view = await ctx.cluster()
  const clusterFields = (n: ClusterNodeView): Item => ({
    role: n.role,
    in_sync: n.in_sync,
    replication_state: n.replication_state,
    replication_lag_ops: n.replication_lag_ops,
    replication_lag_ms: n.replication_lag_ms,
  })
  return view.nodes.map((n) =>
    n.name === ctx.nodeName
      ? { ...nodeInfo(ctx), ...clusterFields(n) }
      : { name: n.name, type: 'disc', running: n.running, ...clusterFields(n) },
  )
}

function nodeInfo(ctx: ManagementContext): Item {
  const res = ctx.resources()
  const alarms = ctx.broker.alarms
  let sockets = 0
  for (const _ of openConnections(ctx)) sockets++
  return {
    name: ctx.nodeName,
    type: 'disc',
    running: true,
    os_pid: String(process.pid),
    mem_used: res.memUsed,
    mem_limit: res.memLimit,
    mem_alarm: alarms.has('memory'),
    // What Warren holds (heap in use and buffers), not resident memory: see boot/resource-monitor.ts.
    mem_calculation_strategy: 'allocated',
    disk_free: res.diskFree ?? 0,
    disk_free_limit: res.diskFreeLimit,
    disk_free_alarm: alarms.has('disk'),
    sockets_used: sockets,
    sockets_total: maxFds() ?? 0,
    fd_used: openFds() ?? 0,
    fd_total: maxFds() ?? 0,
    config_files: ctx.environment?.().configFiles ?? [],
    uptime: ctx.clock.now() - ctx.startedAt,
    run_queue: 0,
    processors: availableParallelism(),
    rates_mode: 'basic',
    exchange_types: exchangeTypes(ctx),
    auth_mechanisms: [
      { name: 'PLAIN', description: 'SASL PLAIN authentication mechanism', enabled: true },
      { name: 'AMQPLAIN', description: 'QPid AMQPLAIN mechanism', enabled: true },
    ],
    applications: [],
    contexts: contexts(ctx),
    partitions: [],
    enabled_plugins: ['rabbitmq_management'],
    net_ticktime: 60,
  }
}
