// What the management API is given by the composition root, and the read-only views of the AMQP layer
// it lists. The views are structural: boot passes the AMQP server's live connection set, and the
// management code never imports the amqp or protocol folders.
import type { UserRegistry } from '../auth/index.js'
import type { Authorizer, Broker, MessageStats, Queue } from '../core/index.js'
import type { Clock, FieldTable, Logger } from '../shared/index.js'
import type { RateSampler } from './rates.js'

export interface ConsumerView {
  readonly tag: string
  readonly queue: Queue
  readonly noAck: boolean
  readonly exclusive: boolean
  readonly prefetch: number
  readonly args: FieldTable
}

export interface ChannelView {
  readonly id: number
  readonly consumers: ReadonlyMap<string, ConsumerView>
  readonly unacked: { readonly count: number }
  readonly prefetchCount: number
  readonly globalPrefetch: number
  readonly confirmMode: boolean
  readonly txMode: boolean
  /** Publishes whose confirm is not sent yet; publishes and settlements the open transaction holds. */
  readonly unconfirmedCount: number
  readonly uncommittedCount: number
  readonly uncommittedAckCount: number
  readonly flowActive: boolean
  readonly stats: MessageStats
}

export interface SocketView {
  readonly remoteAddress?: string | undefined
  readonly remotePort?: number | undefined
  readonly localAddress?: string | undefined
  readonly localPort?: number | undefined
  readonly bytesRead: number
  readonly bytesWritten: number
  readonly writableLength: number
  /** True for TLS (a tls.TLSSocket, or a WebSocket over one), which also has the two methods below. */
  readonly encrypted?: boolean
  getProtocol?(): string | null
  getCipher?(): { readonly standardName: string } | undefined
}

export interface ConnectionView {
  readonly id: number
  readonly name: string
  /** The protocol as RabbitMQ names it ("MQTT 3.1.1"); AMQP connections leave it out (AMQP 0-9-1). */
  readonly protocol?: string
  readonly connectedAt: number
  readonly state: string
  readonly frameMax: number
  readonly channelMax: number
  readonly heartbeatSeconds: number
  readonly vhost: { readonly name: string } | undefined
  readonly user: { readonly name: string } | undefined
  readonly clientProperties: FieldTable
  readonly channels: ReadonlyMap<number, ChannelView>
  readonly socket: SocketView
  /** Closes with 320 CONNECTION_FORCED and `reason` as the reply text's detail. */
  forceClose(reason: string): void
}

/** A Stream-protocol connection with its publishers and consumers (RabbitMQ's /api/stream/...). */
export interface StreamClientView {
  readonly connection: ConnectionView
  readonly publishers: ReadonlyArray<{
    readonly id: number
    readonly stream: string
    readonly reference: string
  }>
  readonly consumers: ReadonlyArray<{
    readonly id: number
    readonly stream: string
    readonly credits: number
    readonly properties: Readonly<Record<string, string>>
  }>
}

export interface ListenerInfo {
  readonly protocol: string
  readonly host: string
  readonly port: number
}

export interface ManagementOptions {
  /** HTTP port; 0 picks a free one. */
  port: number
  /** Resource permissions for the sessions of publishes and gets (core Session). */
  authz: Authorizer
  /** Address to listen on; undefined means every interface. */
  host?: string | undefined
  broker: Broker
  users: UserRegistry
  /** The live connections of every protocol (the servers' own sets, read on every request). */
  connections: Iterable<ConnectionView>
  /** The Stream protocol's open connections with their publishers and consumers; none without it. */
  streamClients?: () => Iterable<StreamClientView>
  /** Other listeners, reported by /api/overview and checked by the port-listener health check. */
  listeners?: readonly ListenerInfo[]
  /** Node name reported as `node` (RabbitMQ's rabbit@host). */
  nodeName?: string
  /** The RabbitMQ release whose behaviour is followed, reported as rabbitmq_version. */
  rabbitmqVersion?: string
  /** Warren's own version, reported as product_version. */
  productVersion?: string
  /** Users that may log in only from loopback addresses (RabbitMQ: guest). */
  loopbackUsers?: readonly string[]
  logger?: Logger
  clock?: Clock
  /** How often message rates are sampled, ms (RabbitMQ: 5000). */
  statsIntervalMs?: number
  /** Told after users, vhosts or permissions changed, so that they can be stored. */
  onDefinitionsChanged?: () => void
  /** Resolves once every durable change made so far is on disk; changing requests are answered after it. */
  durableSettled?: () => Promise<void>
  /** The cluster this node leads (docs/clustering.md); undefined on a single node. */
  cluster?: (() => Promise<ClusterView>) | undefined
  /**
   * Removes a node that is gone for good from the cluster's list (`DELETE /api/nodes/<node>`, `warren ctl
   * forget_cluster_node`); the API checks first that the node is known and not running.
   */
  forgetClusterNode?: ((node: string) => Promise<void>) | undefined
  /** Memory and disk as the resource monitor measures them, for /api/nodes and /metrics. */
  resources?: () => ResourceView
  /** The settings in effect and where each came from (`warren ctl environment`). */
  environment?: (() => EnvironmentView) | undefined
  /** Stops the broker (`warren ctl stop`); without it the API refuses to. */
  requestStop?: (() => void) | undefined
}

export interface EnvironmentView {
  /** The configuration files read at start. */
  configFiles: string[]
  /** Every setting: its value (secrets masked) and its source ('default', 'file:line', 'env NAME', ...). */
  settings: Array<{ name: string; value: unknown; source: string }>
}

/** What the resource alarms watch (bytes); alarms themselves are in broker.alarms. */
export interface ResourceView {
  memUsed: number
  memLimit: number
  /** Free space on the data directory's file system; undefined when nothing is stored or not read yet. */
  diskFree: number | undefined
  diskFreeLimit: number
  /** Bytes the stores have buffered and the OS has not taken yet. */
  storeBuffered?: number
}

/** Options with defaults filled in, plus state that lives as long as the HTTP server. */
export interface ManagementContext {
  readonly broker: Broker
  readonly authz: Authorizer
  readonly users: UserRegistry
  readonly connections: Iterable<ConnectionView>
  readonly streamClients: () => Iterable<StreamClientView>
  readonly listeners: ListenerInfo[]
  readonly nodeName: string
  readonly rabbitmqVersion: string
  readonly productVersion: string
  readonly loopbackUsers: readonly string[]
  readonly logger: Logger | undefined
  readonly clock: Clock
  readonly startedAt: number
  /** Vhost descriptions and tags (the core keeps none). */
  readonly vhostMeta: Map<string, VhostMeta>
  readonly rates: RateSampler
  definitionsChanged(): void
  readonly cluster: (() => Promise<ClusterView>) | undefined
  readonly forgetClusterNode: ((node: string) => Promise<void>) | undefined
  /** See ManagementOptions.durableSettled. */
  durableSettled(): Promise<void>
  resources(): ResourceView
  readonly environment: (() => EnvironmentView) | undefined
  readonly requestStop: (() => void) | undefined
}

export interface VhostMeta {
  description: string
  tags: string[]
}

/** Opened connections only: ones still in the handshake have no user or vhost to show. */
export function* openConnections(
  ctx: ManagementContext,
): Generator<ConnectionView & { vhost: { name: string }; user: { name: string } }> {
  for (const c of ctx.connections) {
    if (c.vhost && c.user && c.state !== 'closed')
      yield c as ConnectionView & { vhost: { name: string }; user: { name: string } }
  }
}

/** One node of a cluster as /api/nodes lists it beside RabbitMQ's fields. */
export interface ClusterNodeView {
  name: string
  running: boolean
  role: 'leader' | 'follower'
  in_sync: boolean
  /** Replicated operations the node has not acknowledged yet, and for how long the oldest has waited. */
  replication_lag_ops: number
  replication_lag_ms: number
  /** Copying the leader's state: 'snapshot' during a full sync, 'live' after it, 'down' when not connected. */
  replication_state: 'snapshot' | 'live' | 'down' | 'leader'
}

export interface ClusterView {
  name: string
  nodes: ClusterNodeView[]
}
