// WebSocket listeners for the front ends, as RabbitMQ's Web MQTT and Web STOMP plugins serve them: an
// HTTP server whose path /ws (or /ws/, any query) upgrades to a WebSocket carrying the protocol's bytes;
// any other path gets 404, and a plain HTTP request to /ws 426 Upgrade Required. Each WebSocket becomes a
// Transport for the protocol's connection, which reads the same bytes it reads from TCP: a message may
// hold part of a packet, one packet, or several.
import { EventEmitter } from 'node:events'
import { type IncomingMessage, Server, type ServerResponse } from 'node:http'
import { Server as HttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { type TlsOptions, TLSSocket } from 'node:tls'
import { type RawData, WebSocket, WebSocketServer } from 'ws'
import type { Logger } from './logger.js'
import { asTlsListener } from './tls-server.js'
import type { Transport } from './transport.js'

/** The endpoint RabbitMQ's plugins serve (web_mqtt.ws_path, web_stomp.ws_path). */
const PATH = /^\/ws\/?(\?.*)?$/

/** What a WebSocket message may hold beyond the broker's largest message body (topic, headers). */
const MESSAGE_OVERHEAD = 64 * 1024

export interface WebSocketOptions {
  /** The subprotocol answered among those the client offered (Sec-WebSocket-Protocol); undefined: none. */
  readonly pickProtocol: (offered: ReadonlySet<string>) => string | undefined
  /** Outgoing messages as binary frames (Web MQTT) or as text frames (Web STOMP). */
  readonly binary: boolean
  /** Whether the client's text frames carry protocol bytes (Web STOMP) or are dropped (Web MQTT). */
  readonly takesText: boolean
  /** The broker's largest message body: a larger WebSocket message closes its connection (1009). */
  readonly maxMessageSize: number
  readonly logger: Logger
  /** A WebSocket is open: the protocol's connection starts on it. */
  readonly accept: (t: WebSocketTransport) => void
}

/**
 * An HTTP server (not listening yet) that turns requests to /ws into WebSocket transports; with `tls`, an
 * HTTPS one (wss://).
 */
export function webSocketServer(o: WebSocketOptions, tls?: TlsOptions): Server {
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: o.maxMessageSize + MESSAGE_OVERHEAD,
    handleProtocols: (offered) => o.pickProtocol(offered) ?? false,
  })
  const http = tls ? new WebSocketHttpsServer(tls, plainRequest) : new WebSocketHttpServer(plainRequest)
  if (tls)
    asTlsListener(http as WebSocketHttpsServer, (err) =>
      o.logger.debug({ err: err.message }, 'WebSocket TLS handshake failed'),
    )
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => o.logger.debug({ err: err.message }, 'WebSocket handshake failed'))
    if (!PATH.test(req.url ?? '')) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n')
      return
    }
    const raw = socket as Socket
    raw.setNoDelay(true)
    wss.handleUpgrade(req, raw, head, (ws) => o.accept(new WebSocketTransport(ws, raw, o)))
  })
  return http
}

/**
 * Closing also drops the HTTP connections still open (idle, or a handshake half sent): nothing on them is
 * worth waiting for at shutdown, and an idle one would hold close() until its timeout. The WebSockets are
 * not among them: their connections close them (the close frame first).
 */
class WebSocketHttpServer extends Server {
  override close(callback?: (err?: Error) => void): this {
    super.close(callback)
    this.closeAllConnections()
    return this
  }
}

/** The same over TLS. */
class WebSocketHttpsServer extends HttpsServer {
  override close(callback?: (err?: Error) => void): this {
    super.close(callback)
    this.closeAllConnections()
    return this
  }
}

/** A request without an Upgrade: 426 on the WebSocket path, 404 elsewhere (as RabbitMQ's Cowboy). */
function plainRequest(req: IncomingMessage, res: ServerResponse): void {
  if (PATH.test(req.url ?? ''))
    res.writeHead(426, { connection: 'upgrade', upgrade: 'websocket', 'content-length': 0 })
  else res.writeHead(404, { 'content-length': 0 })
  res.end()
}

/** A WebSocket as the byte stream of a protocol connection; the counters are its TCP socket's. */
export class WebSocketTransport extends EventEmitter implements Transport {
  private readonly binary: boolean

  constructor(
    private readonly ws: WebSocket,
    private readonly raw: Socket,
    o: Pick<WebSocketOptions, 'binary' | 'takesText' | 'logger'>,
  ) {
    super()
    this.binary = o.binary
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary || o.takesText) this.emit('data', toBuffer(data))
      else o.logger.debug('WebSocket text frame ignored: this protocol takes binary frames')
    })
    ws.on('error', (err) => this.emit('error', err))
    ws.on('close', () => this.emit('close'))
    raw.on('drain', () => this.emit('drain'))
  }

  get remoteAddress(): string | undefined {
    return this.raw.remoteAddress
  }

  get remotePort(): number | undefined {
    return this.raw.remotePort
  }

  get localAddress(): string | undefined {
    return this.raw.localAddress
  }

  get localPort(): number | undefined {
    return this.raw.localPort
  }

  /** wss://: the TLS socket under the WebSocket, for the management API's ssl fields. */
  get encrypted(): boolean {
    return this.raw instanceof TLSSocket
  }

  getProtocol(): string | null {
    return this.raw instanceof TLSSocket ? this.raw.getProtocol() : null
  }

  getCipher(): { readonly standardName: string } | undefined {
    return this.raw instanceof TLSSocket ? this.raw.getCipher() : undefined
  }

  get bytesRead(): number {
    return this.raw.bytesRead
  }

  get bytesWritten(): number {
    return this.raw.bytesWritten
  }

  get writableLength(): number {
    return this.ws.bufferedAmount
  }

  /** Closing or closed: nothing written now would be sent. */
  get destroyed(): boolean {
    return this.ws.readyState !== WebSocket.OPEN
  }

  /** One WebSocket message (what the output gathered in one turn: one or more whole packets or frames). */
  write(data: Buffer): boolean {
    this.ws.send(data, { binary: this.binary })
    return this.raw.writableNeedDrain !== true
  }

  pause(): this {
    this.ws.pause()
    return this
  }

  resume(): this {
    this.ws.resume()
    return this
  }

  /** A close frame (1000); the TCP connection ends when the client answers it. */
  end(): this {
    this.ws.close(1000)
    return this
  }

  destroy(): this {
    this.ws.terminate()
    return this
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

/** The protocol as RabbitMQ's management API names it: "Web MQTT 3.1.1" over a WebSocket. */
export function protocolOver(t: Transport, name: string): string {
  return t instanceof WebSocketTransport ? `Web ${name}` : name
}
