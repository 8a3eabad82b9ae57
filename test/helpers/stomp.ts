// STOMP clients for tests: the real npm client (@stomp/stompjs) over a TCP socket (it speaks to a
// WebSocket-shaped object, so a net.Socket is wrapped in that shape), and a raw client that writes bytes
// and reads frames, for the protocol-level cases stompjs hides. Both go over TLS when given TLS options.
import { connect as tcpConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import { Client, type IFrame, type IStompSocket, type StompConfig } from '@stomp/stompjs'

/** A net.Socket in the WebSocket shape stompjs drives (binary messages as ArrayBuffers). */
class TcpStompSocket implements IStompSocket {
  onclose: ((ev?: unknown) => unknown) | null = null
  onerror: ((ev: unknown) => unknown) | null = null
  onmessage: ((ev: { data: ArrayBuffer }) => unknown) | null = null
  onopen: ((ev?: unknown) => unknown) | null = null
  binaryType = 'arraybuffer'
  readyState = 0
  private readonly socket: Socket

  constructor(
    readonly url: string,
    port: number,
    tls?: ConnectionOptions,
  ) {
    const opened = (): void => {
      this.readyState = 1
      this.onopen?.()
    }
    this.socket = openSocket(port, tls, opened)
    this.socket.on('data', (d) => {
      const data = d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength) as ArrayBuffer
      this.onmessage?.({ data })
    })
    this.socket.on('error', (err) => this.onerror?.(err))
    this.socket.on('close', () => {
      this.readyState = 3
      this.onclose?.({ code: 1000, reason: '', wasClean: true })
    })
  }

  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (typeof data === 'string') this.socket.write(data)
    else if (ArrayBuffer.isView(data))
      this.socket.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    else this.socket.write(Buffer.from(data as ArrayBuffer))
  }

  close(): void {
    this.readyState = 2
    this.socket.end()
  }

  terminate(): void {
    this.socket.destroy()
  }
}

/** A TCP socket to 127.0.0.1:port, or a TLS one with `tls`; `opened` once it is (securely) connected. */
function openSocket(port: number, tls: ConnectionOptions | undefined, opened: () => void): Socket {
  return tls ? tlsConnect({ host: '127.0.0.1', port, ...tls }, opened) : tcpConnect(port, '127.0.0.1', opened)
}

/**
 * A stompjs client connected over TCP (over TLS with `tls`); rejects with the ERROR frame's message when
 * the CONNECT is refused.
 */
export async function stompClient(
  port: number,
  config: StompConfig = {},
  tls?: ConnectionOptions,
): Promise<Client> {
  const client = new Client({
    webSocketFactory: () => new TcpStompSocket(`${tls ? 'ssl' : 'tcp'}://127.0.0.1:${port}`, port, tls),
    connectHeaders: { login: 'guest', passcode: 'guest' },
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    ...config,
  })
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve()
    client.onStompError = (f: IFrame) => reject(new Error(`${f.headers['message'] ?? ''}: ${f.body}`))
    client.onWebSocketClose = () => reject(new Error('closed before CONNECTED'))
    client.activate()
  })
  client.onStompError = () => {}
  client.onWebSocketClose = () => {}
  return client
}

export interface RawFrame {
  command: string
  headers: Record<string, string>
  body: string
}

/** A raw STOMP client: writes what it is told and reads frames (first header value wins, no unescaping). */
export class RawStomp {
  readonly frames: RawFrame[] = []
  closed = false
  private buf = ''
  readonly socket: Socket

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (d) => {
      this.buf += d.toString('latin1')
      this.parse()
    })
    socket.on('error', () => {})
    socket.on('close', () => (this.closed = true))
  }

  static open(port: number, tls?: ConnectionOptions): Promise<RawStomp> {
    return new Promise((resolve, reject) => {
      const s = openSocket(port, tls, () => resolve(new RawStomp(s)))
      s.once('error', reject)
    })
  }

  /** End-of-lines the server sent as heart-beats. */
  heartbeats = 0

  write(data: string | Buffer): void {
    this.socket.write(data)
  }

  frame(command: string, headers: Record<string, string> = {}, body = ''): void {
    let s = `${command}\n`
    for (const [k, v] of Object.entries(headers)) s += `${k}:${v}\n`
    this.write(`${s}\n${body}\u0000`)
  }

  /** Waits for the next frame of `command` (the first such frame not yet taken). */
  async next(command: string, ms = 2000): Promise<RawFrame> {
    const deadline = Date.now() + ms
    for (;;) {
      const i = this.frames.findIndex((f) => f.command === command)
      if (i >= 0) return this.frames.splice(i, 1)[0] as RawFrame
      if (Date.now() > deadline) throw new Error(`no ${command} frame; got ${JSON.stringify(this.frames)}`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  async untilClosed(ms = 2000): Promise<void> {
    const deadline = Date.now() + ms
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the connection stayed open')
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  close(): void {
    this.socket.destroy()
  }

  private parse(): void {
    for (;;) {
      while (this.buf.startsWith('\n') || this.buf.startsWith('\r\n')) {
        this.heartbeats++
        this.buf = this.buf.slice(this.buf.startsWith('\n') ? 1 : 2)
      }
      const headEnd = this.buf.indexOf('\n\n')
      if (headEnd < 0) return
      const [command, ...lines] = this.buf.slice(0, headEnd).split('\n')
      const headers: Record<string, string> = {}
      for (const l of lines) {
        const c = l.indexOf(':')
        const k = l.slice(0, c)
        if (!(k in headers)) headers[k] = l.slice(c + 1)
      }
      const len = headers['content-length']
      const bodyStart = headEnd + 2
      const end = len !== undefined ? bodyStart + Number(len) : this.buf.indexOf('\u0000', bodyStart)
      if (end < 0 || this.buf.length <= end) return
      const body = Buffer.from(this.buf.slice(bodyStart, end), 'latin1').toString('utf8')
      this.frames.push({ command: command as string, headers, body })
      this.buf = this.buf.slice(end + 1)
    }
  }
}

/** A raw client that has sent CONNECT and read CONNECTED. */
export async function rawConnected(
  port: number,
  headers: Record<string, string> = {},
  tls?: ConnectionOptions,
): Promise<RawStomp> {
  const c = await RawStomp.open(port, tls)
  c.frame('CONNECT', { 'accept-version': '1.2', login: 'guest', passcode: 'guest', ...headers })
  await c.next('CONNECTED')
  return c
}
