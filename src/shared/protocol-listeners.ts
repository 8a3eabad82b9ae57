// The listening sockets of a front end that takes a byte stream (MQTT, STOMP): plain TCP, TLS beside the
// AMQPS listener, and WebSocket (RabbitMQ's Web MQTT and Web STOMP), each handing what connects to one
// `accept`, and closed together at shutdown.
import { type AddressInfo, createServer, type Server } from 'node:net'
import type { TlsOptions } from 'node:tls'
import type { Logger } from './logger.js'
import { tlsServer } from './tls-server.js'
import type { Transport } from './transport.js'
import { webSocketServer, type WebSocketOptions } from './websocket.js'

export interface ProtocolListenerOptions {
  /** The protocol's name in log lines ("MQTT"). */
  readonly protocol: string
  readonly logger: Logger
  readonly accept: (t: Transport) => void
  /** How this protocol rides on WebSocket frames. */
  readonly webSocket: Omit<WebSocketOptions, 'accept' | 'logger'>
}

export class ProtocolListeners {
  private readonly servers: Server[] = []

  constructor(private readonly o: ProtocolListenerOptions) {}

  tcp(port: number, host: string | undefined): Promise<AddressInfo> {
    return this.start(
      createServer({ noDelay: true }, (socket) => this.o.accept(socket)),
      port,
      host,
    )
  }

  tls(port: number, host: string | undefined, options: TlsOptions): Promise<AddressInfo> {
    const server = tlsServer(
      options,
      (socket) => this.o.accept(socket),
      (err) => this.o.logger.debug({ err: err.message }, `${this.o.protocol} TLS handshake failed`),
    )
    return this.start(server, port, host)
  }

  /** On path /ws; wss:// with `tls`. */
  webSocket(port: number, host: string | undefined, tls?: TlsOptions): Promise<AddressInfo> {
    const server = webSocketServer({ ...this.o.webSocket, logger: this.o.logger, accept: this.o.accept }, tls)
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

  /** Stops accepting; resolves once every listener is closed (the caller closes the connections). */
  close(): Promise<void> {
    return Promise.all(
      this.servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))),
    ).then(() => undefined)
  }
}
