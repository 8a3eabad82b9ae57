// The node's families: churn counters, process and resource gauges, and login attempts. Erlang's own
// figures in these families (processes, garbage collection, schedulers, net ticktime) have no meaning in
// Warren and are left out; the uptime keeps RabbitMQ's name, since the dashboards chart it.
import type { ChurnCounters } from '../../core/index.js'
import type { ManagementContext, ResourceView } from '../context.js'
import { defineFamily, type Family, nodeFamily } from './families.js'
import { maxFds, openFds, residentMemory, uptimeSeconds } from './process.js'

const churn = (ctx: ManagementContext): ChurnCounters => ctx.broker.churn

export const connectionChurn: Family = nodeFamily(churn, [
  ['connections_opened_total', 'counter', 'Total number of connections opened', (c) => c.connectionsOpened],
  [
    'connections_closed_total',
    'counter',
    'Total number of connections closed or terminated',
    (c) => c.connectionsClosed,
  ],
  ['channels_opened_total', 'counter', 'Total number of channels opened', (c) => c.channelsOpened],
  ['channels_closed_total', 'counter', 'Total number of channels closed', (c) => c.channelsClosed],
  ['queues_declared_total', 'counter', 'Total number of queues declared', (c) => c.queuesDeclared],
  ['queues_created_total', 'counter', 'Total number of queues created', (c) => c.queuesCreated],
  ['queues_deleted_total', 'counter', 'Total number of queues deleted', (c) => c.queuesDeleted],
])

interface NodeView {
  readonly res: ResourceView
  /** Client connections open, handshaking ones included (each one TCP socket). */
  readonly sockets: number
  readonly maxFds: number | undefined
}

function nodeView(ctx: ManagementContext): NodeView {
  let sockets = 0
  for (const c of ctx.connections) if (c.state !== 'closed') sockets++
  return { res: ctx.resources(), sockets, maxFds: maxFds() }
}

export const nodeCoarse: Family = nodeFamily(nodeView, [
  ['process_open_fds', 'gauge', 'Open file descriptors', () => openFds()],
  ['process_open_tcp_sockets', 'gauge', 'Open TCP sockets', (n) => n.sockets],
  ['process_resident_memory_bytes', 'gauge', 'Memory used in bytes', () => residentMemory()],
  // Unknown (no sample) while nothing is stored: an embedded broker without a data directory.
  ['disk_space_available_bytes', 'gauge', 'Disk space available in bytes', (n) => n.res.diskFree],
])

export const nodeMetrics: Family = nodeFamily(nodeView, [
  ['process_max_fds', 'gauge', 'Open file descriptors limit', (n) => n.maxFds],
  // Every client connection takes a descriptor: the descriptor limit is the socket limit too.
  ['process_max_tcp_sockets', 'gauge', 'Open TCP sockets limit', (n) => n.maxFds],
  ['resident_memory_limit_bytes', 'gauge', 'Memory high watermark in bytes', (n) => n.res.memLimit],
  [
    'disk_space_available_limit_bytes',
    'gauge',
    'Free disk space low watermark in bytes',
    (n) => n.res.diskFreeLimit,
  ],
  // The broker process's uptime under the name the dashboards' uptime panel queries.
  ['erlang_uptime_seconds', 'gauge', 'Node uptime', () => uptimeSeconds()],
])

type Attempts = { readonly succeeded: number; readonly failed: number }

/** Logins by protocol (amqp091, http); labelled by protocol at every endpoint, as RabbitMQ does. */
export const authAttempts: Family = defineFamily<Attempts>({
  perObject: false,
  objects: (ctx) => [...ctx.broker.authAttempts.byProtocol].map(([protocol, a]) => [{ protocol }, a]),
  metrics: [
    [
      'auth_attempts_total',
      'counter',
      'Total number of authorization attempts',
      (a) => a.succeeded + a.failed,
    ],
    [
      'auth_attempts_succeeded_total',
      'counter',
      'Total number of successful authentication attempts',
      (a) => a.succeeded,
    ],
    [
      'auth_attempts_failed_total',
      'counter',
      'Total number of failed authentication attempts',
      (a) => a.failed,
    ],
  ],
})

/**
 * Logins by source address and user: RabbitMQ keeps them only when track_auth_attempt_source is on (it
 * is off by default), Warren never, so the family is declared with no samples, as RabbitMQ's default.
 */
export const authAttemptsDetailed: Family = defineFamily<never>({
  perObject: true,
  objects: () => [],
  metrics: [
    [
      'auth_attempts_detailed_total',
      'counter',
      'Total number of authorization attempts with source info',
      () => undefined,
    ],
    [
      'auth_attempts_detailed_succeeded_total',
      'counter',
      'Total number of successful authorization attempts with source info',
      () => undefined,
    ],
    [
      'auth_attempts_detailed_failed_total',
      'counter',
      'Total number of failed authorization attempts with source info',
      () => undefined,
    ],
  ],
})
