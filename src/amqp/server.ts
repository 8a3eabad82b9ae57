// Accepts TCP connections and hands each to a Connection. Tracks them for listings and shutdown.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { TlsOptions } from 'node:tls'
import { tlsServer } from '../shared/index.js'
import type { AmqpContext, ConnectionContext } from './context.js'
import { CodecState } from './codec-state.js'
import { HANDLERS } from './handlers/index.js'
import { Connection } from './connection.js'

export class AmqpServer {
  readonly connections = new Set<Connection>()
  private readonly servers: Server[] = []

  private readonly ctx: ConnectionContext

  constructor(ctx: AmqpContext) {
    let connections = 0
    this.ctx = { ...ctx, handlers: HANDLERS, codec: new CodecState(), nextConnectionId: () => ++connections }
  }

  /** Listens on host:port (port 0 picks a free one); resolves with the bound address. */
  listen(port: number, host: string | undefined): Promise<AddressInfo> {
    return this.start(
      createServer({ noDelay: true }, (socket) => this.accept(socket)),
      port,
      host,
    )
  }

  /** An AMQPS listener: the same protocol over TLS (RabbitMQ's port 5671). */
  listenTls(port: number, host: string | undefined, options: TlsOptions): Promise<AddressInfo> {
    const server = tlsServer(
      options,
      (socket) => this.accept(socket),
      (err) => this.ctx.logger.debug({ err: err.message }, 'TLS handshake failed'),
    )
    return this.start(server, port, host)
  }

  private start(server: Server, port: number, host: string | undefined): Promise<AddressInfo> {
    this.servers.push(server)
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen({ port, host, backlog: 1024 }, () => {
        server.off('error', reject)
        resolve(server.address() as AddressInfo)
      })
    })
  }

  /** Serves an already-connected stream (used by tests with in-memory socket pairs). */
  accept(socket: Socket): Connection {
    const conn = new Connection(socket, this.ctx, (c) => this.connections.delete(c))
    this.connections.add(conn)
    return conn
  }

  /** Stops accepting, closes every connection with 320 CONNECTION_FORCED, and waits for them to go. */
  async close(reason = 'broker shutdown'): Promise<void> {
    const closed = Promise.all(
      this.servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))),
    )
    for (const c of this.connections) c.forceClose(reason)
    const deadline = Date.now() + 2000
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    for (const c of this.connections) c.terminate()
    await closed
  }
}
