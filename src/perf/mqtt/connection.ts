// An MQTT 3.1.1 client connection for `warren perf mqtt`: CONNECT and CONNACK, SUBSCRIBE and SUBACK, and
// the packets the broker sends afterwards (PUBLISH, PUBACK) cut out of the socket's reads and handed to the
// publisher or subscriber that owns the connection, with a flush call once a read is done so that what they
// answer (PUBACKs) goes out in one write per read. The client's packets are written by Warren's own encoder
// (src/mqtt/encoder.ts) where the broker sends the same packet (PUBLISH, PUBACK); CONNECT and SUBSCRIBE,
// which only a client sends, are written here.
import { connect, type Socket } from 'node:net'
import { PACKET, varint } from '../../mqtt/index.js'
import type { MqttUri } from './uri.js'

/** What the broker sends after the opening, as the publisher or subscriber sees it. */
export interface MqttHandler {
  /** A PUBLISH: its QoS, packet id (0 for QoS 0) and payload at buf[payloadAt, end). */
  publish(buf: Buffer, qos: number, packetId: number, payloadAt: number, end: number): void
  puback(packetId: number): void
  /** The end of one socket read: the time to write what the packets of the read asked for. */
  flush(): void
}

export interface ConnectOptions {
  readonly clientId: string
  readonly keepalive: number
  readonly cleanSession: boolean
}

const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8')
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b])
}

function packet(byte1: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([byte1, ...varint(body.length)]), body])
}

export function encodeConnect(uri: MqttUri, o: ConnectOptions): Buffer {
  const flags = 0x80 | 0x40 | (o.cleanSession ? 0x02 : 0)
  const head = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, flags, o.keepalive >> 8, o.keepalive & 0xff])
  const body = Buffer.concat([head, str(o.clientId), str(uri.user), str(uri.password)])
  return packet(PACKET.CONNECT << 4, body)
}

export function encodeSubscribe(packetId: number, filter: string, qos: number): Buffer {
  const body = Buffer.concat([Buffer.from([packetId >> 8, packetId & 0xff]), str(filter), Buffer.from([qos])])
  return packet((PACKET.SUBSCRIBE << 4) | 2, body)
}

export const DISCONNECT = Buffer.from([PACKET.DISCONNECT << 4, 0])

interface Waiter {
  readonly type: number
  readonly resolve: (body: Buffer) => void
}

export class MqttPerfConnection {
  handler: MqttHandler | undefined
  onError: ((err: Error) => void) | undefined
  error: Error | undefined
  private rest: Buffer | undefined
  private waiters: Waiter[] = []
  private closed = false

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.fail(err))
    socket.on('close', () => {
      if (!this.closed) this.fail(new Error('connection closed by the broker'))
    })
  }

  /** Connects and waits for a CONNACK that accepts; a refusal rejects with its return code. */
  static async open(uri: MqttUri, o: ConnectOptions, localAddress?: string): Promise<MqttPerfConnection> {
    const socket = connect({ host: uri.host, port: uri.port, ...(localAddress ? { localAddress } : {}) })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const conn = new MqttPerfConnection(socket)
    socket.write(encodeConnect(uri, o))
    const connack = await conn.expect(PACKET.CONNACK)
    if (connack[1] !== 0) {
      socket.destroy()
      throw new Error(`CONNACK refused the connection with return code ${connack[1]}`)
    }
    return conn
  }

  async subscribe(filter: string, qos: number): Promise<void> {
    this.socket.write(encodeSubscribe(1, filter, qos))
    const suback = await this.expect(PACKET.SUBACK)
    if ((suback[2] ?? 0x80) >= 0x80) throw new Error(`SUBACK refused the subscription to '${filter}'`)
  }

  /** Writes `buf`; false when the socket's buffer is full (wait for 'drain'). */
  write(buf: Buffer): boolean {
    return this.socket.write(buf)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.socket.destroyed) return
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve())
      this.socket.end(DISCONNECT)
      setTimeout(() => this.socket.destroy(), 2000).unref()
    })
  }

  private expect(type: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.error) return reject(this.error)
      this.waiters.push({ type, resolve })
      this.socket.once('close', () => reject(this.error ?? new Error('connection closed')))
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
    const end = this.readPackets(buf)
    if (end < buf.length) this.rest = buf.subarray(end)
    this.handler?.flush()
  }

  /** Handles the whole packets in `buf`; returns where the first partial one starts. */
  private readPackets(buf: Buffer): number {
    let pos = 0
    while (pos + 2 <= buf.length) {
      let len = 0
      let mul = 1
      let at = pos + 1
      let b: number
      do {
        if (at >= buf.length) return pos
        b = buf[at++] as number
        len += (b & 0x7f) * mul
        mul *= 128
      } while (b & 0x80)
      const end = at + len
      if (end > buf.length) return pos
      this.dispatch(buf, buf[pos] as number, at, end)
      pos = end
    }
    return pos
  }

  private dispatch(buf: Buffer, byte1: number, at: number, end: number): void {
    const type = byte1 >> 4
    if (type === PACKET.PUBLISH) {
      const qos = (byte1 >> 1) & 3
      let p = at + 2 + buf.readUInt16BE(at)
      const id = qos > 0 ? buf.readUInt16BE(p) : 0
      if (qos > 0) p += 2
      this.handler?.publish(buf, qos, id, p, end)
    } else if (type === PACKET.PUBACK) {
      this.handler?.puback(buf.readUInt16BE(at))
    } else {
      const i = this.waiters.findIndex((w) => w.type === type)
      if (i >= 0) this.waiters.splice(i, 1)[0]?.resolve(Buffer.from(buf.subarray(at, end)))
    }
  }
}
