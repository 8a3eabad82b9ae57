// Accepts STOMP connections and closes them all at shutdown.
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import { StompConnection } from './connection.js'
import type { StompContext } from './context.js'
import { watchStompClients } from './metrics.js'

/**
 * STOMP connections get ids far above the AMQP server's (from 1) and the MQTT server's (from 2^30), so
 * that the core's per-connection checks (exclusive queues) never mistake one for another.
 */
const FIRST_CONNECTION_ID = 2 ** 31

export class StompServer {
  readonly connections = new Set<StompConnection>()
  private server: Server | undefined
  private nextId = FIRST_CONNECTION_ID

  constructor(readonly ctx: StompContext) {
    if (!ctx.counters) return
    watchStompClients(ctx.counters, this.connections)
    ctx.broker.protocolCounters.push(ctx.counters)
  }

  listen(port: number, host: string | undefined): Promise<AddressInfo> {
    const server = (this.server = createServer({ noDelay: true }, (socket) => this.accept(socket)))
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen({ port, host, backlog: 1024 }, () => {
        server.off('error', reject)
        resolve(server.address() as AddressInfo)
      })
    })
  }

  accept(socket: Socket): StompConnection {
    const conn = new StompConnection(socket, this.ctx, this.nextId++, (c) => this.connections.delete(c))
    this.connections.add(conn)
    return conn
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    const server = this.server
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined
    for (const c of [...this.connections]) c.forceClose()
    await closed
  }
}
