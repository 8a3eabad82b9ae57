// A follower's client ports: each connection is passed through, byte for byte, to the same listener on
// the leader (LavinMQ does the same), so that a client given any node's address reaches the leader. With
// no leader known (an election is under way) a connection is closed at once and the client reconnects.
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { Logger } from '../shared/index.js'
import { splitAddress } from './replication-follower.js'

export interface ProxiedPort {
  /** What the listener is for, in log lines: "AMQP", "HTTP". */
  name: string
  port: number
  host: string | undefined
  /** The leader's address for it (host:port), or undefined while none is known. */
  target: () => string | undefined
}

export class ClientProxy {
  private readonly servers: Server[] = []
  private readonly sockets = new Set<Socket>()

  constructor(private readonly logger: Logger) {}

  async listen(ports: readonly ProxiedPort[]): Promise<void> {
    for (const p of ports) {
      const server = createServer((client) => this.pass(client, p))
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(p.port, p.host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      this.servers.push(server)
    }
  }

  private pass(client: Socket, p: ProxiedPort): void {
    const target = p.target()
    if (!target) {
      client.destroy()
      return
    }
    const [host, port] = splitAddress(target)
    const upstream = connect({ host, port })
    for (const s of [client, upstream]) {
      this.sockets.add(s)
      s.setNoDelay(true)
      s.on('close', () => this.sockets.delete(s))
    }
    client.pipe(upstream)
    upstream.pipe(client)
    const end = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end)
    upstream.on('error', (err) => {
      this.logger.debug({ err: err.message, target }, `${p.name} connection to the leader failed`)
      end()
    })
    client.on('close', end)
    upstream.on('close', end)
  }

  /** Stops listening and cuts every connection passed through (the node is about to serve them itself). */
  async close(): Promise<void> {
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))
    for (const s of this.sockets) s.destroy()
    this.servers.length = 0
    await Promise.all(closed)
  }
}
