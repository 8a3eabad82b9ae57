// The three Prometheus endpoints, composed from the families as rabbitmq_prometheus composes them:
//   /metrics             every family below summed over its objects, totals, global counters, alarms;
//   /metrics/per-object  the same families with one sample per object, totals and global counters;
//   /metrics/detailed    only the families asked for (`family=`, repeatable), per object, under
//                        rabbitmq_detailed_ (rabbitmq_cluster_ for vhosts and exchanges), the queue
//                        families limited to the vhosts asked for (`vhost=`, repeatable).
// Every endpoint ends with the build and identity info; on a cluster's leader, /metrics and
// /metrics/per-object add Warren's cluster gauges (warren-cluster.ts). A scrape walks queues, channels and
// connections, never messages, and reads counters the broker keeps anyway.
import type { ClusterView, ManagementContext } from '../context.js'
import {
  channelExchange,
  channelMetrics,
  channelQueue,
  connectionCoarse,
  connectionMetrics,
} from './channel-families.js'
import { exchangeBindings, exchangeNames, vhostStatus } from './cluster-families.js'
import { Exposition } from './exposition.js'
import { type Family, type VhostFilter, writeFamily } from './families.js'
import { emitClusterGauges } from './warren-cluster.js'
import { emitAlarms, emitGlobal, emitInfo, emitTotals } from './global.js'
import {
  authAttempts,
  authAttemptsDetailed,
  connectionChurn,
  nodeCoarse,
  nodeMetrics,
} from './node-families.js'
import {
  queueCoarse,
  queueConsumerCount,
  queueDelivery,
  queueMetrics,
  queuePublished,
} from './queue-families.js'

/** RabbitMQ 3.10's families, by the names /metrics/detailed takes, in its order. */
const FAMILIES: ReadonlyMap<string, Family> = new Map([
  ['connection_churn_metrics', connectionChurn],
  ['node_coarse_metrics', nodeCoarse],
  ['node_metrics', nodeMetrics],
  ['auth_attempt_metrics', authAttempts],
  ['auth_attempt_detailed_metrics', authAttemptsDetailed],
  ['queue_coarse_metrics', queueCoarse],
  ['queue_consumer_count', queueConsumerCount],
  ['queue_metrics', queueMetrics],
  ['channel_metrics', channelMetrics],
  ['channel_exchange_metrics', channelExchange],
  ['channel_queue_metrics', channelQueue],
  ['connection_coarse_metrics', connectionCoarse],
  ['connection_metrics', connectionMetrics],
  ['channel_queue_exchange_metrics', queuePublished],
])

/** Served on /metrics/detailed only: RabbitMQ 4's per-queue delivery counters. */
const DETAILED_ONLY: ReadonlyMap<string, Family> = new Map([['queue_delivery_metrics', queueDelivery]])

/** Served on /metrics/detailed only, under rabbitmq_cluster_. */
const CLUSTER: ReadonlyMap<string, Family> = new Map([
  ['vhost_status', vhostStatus],
  ['exchange_bindings', exchangeBindings],
  ['exchange_names', exchangeNames],
])

/**
 * The families to write, without those another one covers: queue_metrics includes the consumer count,
 * and per-source login counts are only kept per object (both as RabbitMQ decides).
 */
function without(names: readonly string[], perObject: boolean): string[] {
  return names.filter(
    (n) =>
      !(n === 'queue_consumer_count' && names.includes('queue_metrics')) &&
      !(n === 'auth_attempt_detailed_metrics' && !perObject),
  )
}

function writeAll(out: Exposition, ctx: ManagementContext, aggregate: boolean): void {
  for (const name of without([...FAMILIES.keys()], !aggregate)) {
    const f = FAMILIES.get(name) as Family
    writeFamily(out, 'rabbitmq_', f, f.rows(ctx, undefined), aggregate)
  }
  emitTotals(out, ctx)
}

/** `cluster`: the cluster this node leads, read by the caller (it is asynchronous); undefined otherwise. */
export function aggregated(ctx: ManagementContext, cluster?: ClusterView): string {
  const out = new Exposition()
  writeAll(out, ctx, true)
  emitAlarms(out, ctx)
  emitInfo(out, ctx, 'aggregated')
  emitGlobal(out, ctx)
  emitClusterGauges(out, cluster)
  return out.toString()
}

export function perObject(ctx: ManagementContext, cluster?: ClusterView): string {
  const out = new Exposition()
  writeAll(out, ctx, false)
  emitInfo(out, ctx, 'per-object')
  emitGlobal(out, ctx)
  emitClusterGauges(out, cluster)
  return out.toString()
}

/** Unknown families are ignored; without any, only the build and identity info is written. */
export function detailed(
  ctx: ManagementContext,
  families: readonly string[],
  vhosts: readonly string[],
): string {
  const out = new Exposition()
  const only: VhostFilter = vhosts.length > 0 ? new Set(vhosts) : undefined
  const asked = without([...new Set(families)], true)
  const write = (table: ReadonlyMap<string, Family>, prefix: string): void => {
    for (const [name, f] of table) {
      if (asked.includes(name))
        writeFamily(out, prefix, f, f.rows(ctx, f.vhostFiltered ? only : undefined), false)
    }
  }
  write(FAMILIES, 'rabbitmq_detailed_')
  write(DETAILED_ONLY, 'rabbitmq_detailed_')
  write(CLUSTER, 'rabbitmq_cluster_')
  emitInfo(out, ctx, 'detailed')
  return out.toString()
}
