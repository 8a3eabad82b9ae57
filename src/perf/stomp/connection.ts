// A STOMP 1.2 client connection for `warren perf stomp`: CONNECT and CONNECTED, then the broker's frames
// (MESSAGE, RECEIPT, ERROR) cut out of the socket's reads and handed to the producer or consumer that
// owns the connection, with a flush call once a read is done so that what they answer (ACKs) goes out in
// one write per read. Frames are written by Warren's own STOMP encoder (src/stomp/encoder.ts).
import { connect, type Socket } from 'node:net'
import { encodeFrame, type Headers } from '../../stomp/index.js'

export interface StompUri {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  readonly vhost: string
}

/** stomp://user:pass@host:port/vhost; guest/guest, port 61613 and vhost '/' when left out. */
export function parseStompUri(uri: string): StompUri {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw new Error(`not a URI: '${uri}'`)
  }
  if (url.protocol !== 'stomp:') throw new Error(`only stomp:// URIs are supported, got '${url.protocol}//'`)
  const path = url.pathname.replace(/^\//, '')
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? 61613 : Number(url.port),
    user: url.username === '' ? 'guest' : decodeURIComponent(url.username),
    password: url.password === '' ? 'guest' : decodeURIComponent(url.password),
    vhost: path === '' ? '/' : decodeURIComponent(path),
  }
}

export function redactStompUri(uri: string): string {
  return uri.replace(/^(stomp:\/\/[^:/@]*:)[^@]*@/, '$1***@')
}

/** One frame from the broker: its headers as the raw text between the command line and the blank line. */
export interface InFrame {
  readonly command: string
  readonly headerText: string
  readonly buf: Buffer
  readonly bodyAt: number
  readonly bodyEnd: number
}

/** A header's value in a frame's raw header text (the first one; values are not unescaped). */
export function headerOf(headerText: string, name: string): string | undefined {
  const key = `${name}:`
  let at = 0
  if (!headerText.startsWith(key)) {
    at = headerText.indexOf(`\n${key}`) + 1
    if (at === 0) return undefined
  }
  at += key.length
  const end = headerText.indexOf('\n', at)
  return headerText.slice(at, end < 0 ? undefined : end).replace(/\r$/, '')
}

export interface StompHandler {
  frame(f: InFrame): void
  /** The end of one socket read: the time to write what its frames asked for. */
  flush(): void
}

export const frame = (command: string, headers: Headers, body?: Buffer): Buffer =>
  encodeFrame(command, headers, body, true)

const LF = 0x0a
const CR = 0x0d

export class StompPerfConnection {
  handler: StompHandler | undefined
  onError: ((err: Error) => void) | undefined
  error: Error | undefined
  private rest: Buffer | undefined
  private connected: ((f: InFrame) => void) | undefined
  private closed = false

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.fail(err))
    socket.on('close', () => {
      if (!this.closed) this.fail(new Error('connection closed by the broker'))
    })
  }

  static async open(uri: StompUri): Promise<StompPerfConnection> {
    const socket = connect({ host: uri.host, port: uri.port })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const conn = new StompPerfConnection(socket)
    const reply = new Promise<InFrame>((resolve, reject) => {
      conn.connected = resolve
      socket.once('close', () => reject(conn.error ?? new Error('connection closed')))
    })
    const headers: Headers = [
      ['accept-version', '1.2'],
      ['host', uri.vhost],
      ['login', uri.user],
      ['passcode', uri.password],
      ['heart-beat', '0,0'],
    ]
    socket.write(encodeFrame('CONNECT', headers, undefined, false))
    const f = await reply
    if (f.command !== 'CONNECTED') {
      socket.destroy()
      throw new Error(`CONNECT refused: ${headerOf(f.headerText, 'message') ?? f.command}`)
    }
    return conn
  }

  write(buf: Buffer): boolean {
    return this.socket.write(buf)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.socket.destroyed) return
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve())
      this.socket.end(frame('DISCONNECT', []))
      setTimeout(() => this.socket.destroy(), 2000).unref()
    })
  }

  private fail(err: Error): void {
    if (this.error) return
    this.error = err
    this.onError?.(err)
  }

  private onData(chunk: Buffer): void {
    let buf = chunk
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk])
      this.rest = undefined
    }
    const end = this.readFrames(buf)
    if (end < buf.length) this.rest = buf.subarray(end)
    this.handler?.flush()
  }

  /** Handles the whole frames in `buf`; returns where the first partial one starts. */
  private readFrames(buf: Buffer): number {
    let pos = 0
    for (;;) {
      while (pos < buf.length && (buf[pos] === LF || buf[pos] === CR)) pos++
      if (pos >= buf.length) return pos
      const end = this.readFrame(buf, pos)
      if (end < 0) return pos
      pos = end
    }
  }

  /** One frame at `pos`: handled, and the position after its NUL; -1 when it is not all here. */
  private readFrame(buf: Buffer, pos: number): number {
    const lineEnd = buf.indexOf(LF, pos)
    if (lineEnd < 0) return -1
    // A frame without headers has its blank line right after the command line: found at lineEnd.
    const headEnd = buf.indexOf('\n\n', lineEnd)
    if (headEnd < 0) return -1
    const headerText = headEnd > lineEnd ? buf.toString('utf8', lineEnd + 1, headEnd) : ''
    const start = headEnd + 2
    const length = headerOf(headerText, 'content-length')
    const bodyEnd = length !== undefined ? start + Number(length) : buf.indexOf(0, start)
    if (bodyEnd < 0 || bodyEnd >= buf.length) return -1
    const command = buf.toString('latin1', pos, buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd)
    const f: InFrame = { command, headerText, buf, bodyAt: start, bodyEnd }
    if (this.connected) {
      this.connected(f)
      this.connected = undefined
    } else if (command === 'ERROR') {
      this.fail(new Error(`ERROR frame: ${headerOf(headerText, 'message') ?? ''}`))
    } else this.handler?.frame(f)
    return bodyEnd + 1
  }
}
