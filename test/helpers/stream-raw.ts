// A bare Stream-protocol client for tests that need exact frames (refused logins, malformed frames,
// heartbeats): writes frames built by hand and reads the server's frames one at a time.
import { connect, type Socket } from 'node:net'

export interface RawFrame {
  readonly key: number
  readonly version: number
  /** What follows key and version. */
  readonly body: Buffer
}

export class RawStreamClient {
  private buf = Buffer.alloc(0)
  private readonly frames: RawFrame[] = []
  private waiting: (() => void) | undefined
  closed = false

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d])
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32BE(0)) {
        const size = this.buf.readUInt32BE(0)
        const f = this.buf.subarray(4, 4 + size)
        this.frames.push({
          key: f.readUInt16BE(0),
          version: f.readUInt16BE(2),
          body: Buffer.from(f.subarray(4)),
        })
        this.buf = this.buf.subarray(4 + size)
      }
      this.waiting?.()
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      this.closed = true
      this.waiting?.()
    })
  }

  static async open(port: number): Promise<RawStreamClient> {
    const socket = connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    return new RawStreamClient(socket)
  }

  /** The next frame from the server; undefined once the socket closed with none left. */
  async next(timeoutMs = 3000): Promise<RawFrame | undefined> {
    const deadline = Date.now() + timeoutMs
    while (this.frames.length === 0 && !this.closed) {
      if (Date.now() > deadline) throw new Error('no frame from the server in time')
      await new Promise<void>((resolve) => {
        this.waiting = resolve
        setTimeout(resolve, 20)
      })
    }
    return this.frames.shift()
  }

  /** Resolves once the server closed the socket. */
  async closedByServer(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server did not close the connection')
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  write(b: Buffer): void {
    this.socket.write(b)
  }

  send(key: number, fields: Buffer): void {
    const f = Buffer.alloc(8)
    f.writeUInt32BE(4 + fields.length, 0)
    f.writeUInt16BE(key, 4)
    f.writeUInt16BE(1, 6)
    this.write(Buffer.concat([f, fields]))
  }

  /** Peer properties, SASL PLAIN and tune; returns the SASL response code. */
  async login(user: string, password: string, heartbeat = 0): Promise<number> {
    this.send(0x11, Buffer.concat([u32(1), u32(0)]))
    await this.next()
    this.send(0x12, u32(2))
    await this.next()
    const plain = Buffer.from(`\u0000${user}\u0000${password}`)
    this.send(0x13, Buffer.concat([u32(3), str('PLAIN'), u32(plain.length), plain]))
    const auth = await this.next()
    const code = auth?.body.readUInt16BE(4) ?? 0
    if (code !== 1) return code
    await this.next() // tune
    this.send(0x14, Buffer.concat([u32(1_048_576), u32(heartbeat)]))
    return code
  }

  /** Opens a vhost; returns the response code. */
  async openVhost(vhost: string): Promise<number> {
    this.send(0x15, Buffer.concat([u32(4), str(vhost)]))
    const r = await this.next()
    return r?.body.readUInt16BE(4) ?? 0
  }

  destroy(): void {
    this.socket.destroy()
  }
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

export function str(s: string): Buffer {
  const b = Buffer.from(s)
  const h = Buffer.alloc(2)
  h.writeUInt16BE(b.length)
  return Buffer.concat([h, b])
}
