// The Stream protocol listener (RabbitMQ's rabbitmq_stream plugin, port 5552): accepts TCP connections
// and keeps what is shared between them: tracking (offsets and publisher sequences), single active
// consumer groups, and one watch per stream log (commits wake subscriptions, deletion tells clients).
import { streamCounters } from './metrics.js'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { hostname } from 'node:os'
import type { Authorizer, Broker, StreamAccess, StreamLog } from '../core/index.js'
import type { UserRegistry } from '../auth/index.js'
import type { Clock, Logger } from '../shared/index.js'
import { StreamConnection } from './connection.js'
import { SacGroups } from './single-active.js'
import { StreamTracking } from './tracking.js'

export interface StreamServerSettings {
  /** Largest frame proposed in tune (bytes); 0 means no limit. */
  readonly frameMax: number
  /** Heartbeat proposed in tune (seconds); 0 means none. */
  readonly heartbeat: number
  readonly loopbackUsers: readonly string[]
  readonly maxMessageSize: number
  readonly nodeName: string
  /** The host clients are told to connect to (open's advertised_host, metadata); default: bound address. */
  readonly advertisedHost?: string | undefined
  /** The port clients are told to connect to; default: the bound port. */
  readonly advertisedPort?: number | undefined
}

export interface StreamServerOptions {
  readonly broker: Broker
  readonly authz: Authorizer
  readonly users: UserRegistry
  readonly logger: Logger
  readonly clock: Clock
  readonly settings: StreamServerSettings
}

/** What connections watch on a stream: commits (to deliver) and deletion (to tell clients). */
interface Watch {
  readonly onCommit: Set<() => void>
  readonly onDeleted: Set<() => void>
}

export class StreamServer {
  readonly connections = new Set<StreamConnection>()
  readonly tracking: StreamTracking
  readonly sac = new SacGroups()
  /** What Prometheus reports of this front end (registered on the broker). */
  readonly counters = streamCounters()
  private readonly watches = new WeakMap<StreamLog, Watch>()
  private server: Server | undefined
  private nextId = 1
  advertisedHost = 'localhost'
  advertisedPort = 5552

  constructor(readonly o: StreamServerOptions) {
    this.tracking = new StreamTracking((err) => o.logger.error({ err }, 'saving stream tracking data failed'))
    this.counters.gauges = () => {
      let publishers = 0
      let consumers = 0
      for (const c of this.connections) {
        publishers += c.publishers.size
        consumers += c.subscriptions.size
      }
      return { publishers, consumers }
    }
    o.broker.protocolCounters.push(this.counters)
  }

  async listen(port: number, host?: string): Promise<AddressInfo> {
    const server = createServer((socket) => this.accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
    const a = server.address() as AddressInfo
    const s = this.o.settings
    this.advertisedPort = s.advertisedPort ?? a.port
    this.advertisedHost = s.advertisedHost ?? advertisable(a)
    return a
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true)
    const c = new StreamConnection(this, socket, this.nextId++)
    this.connections.add(c)
    socket.once('close', () => this.connections.delete(c))
  }

  /** The shared watch of a stream's log (registered with the log and the queue once). */
  watch(access: StreamAccess): Watch {
    const w = this.watches.get(access.log)
    if (w) return w
    const watch: Watch = { onCommit: new Set(), onDeleted: new Set() }
    this.watches.set(access.log, watch)
    access.log.onCommit(() => {
      for (const f of watch.onCommit) f()
    })
    access.onDeleted(() => {
      for (const f of [...watch.onDeleted]) f()
      watch.onCommit.clear()
      watch.onDeleted.clear()
    })
    return watch
  }

  /** Stops listening and ends every connection (clients see the socket close and reconnect). */
  async close(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const c of this.connections) c.drop()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** A wildcard bind is advertised as the machine's host name, as RabbitMQ does. */
function advertisable(a: AddressInfo): string {
  if (a.address === '::' || a.address === '0.0.0.0') return hostname()
  return a.address
}
