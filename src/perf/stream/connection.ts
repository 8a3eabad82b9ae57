// A Stream-protocol client connection for `warren perf stream`, on Warren's own frame codec: the opening
// (peer properties, SASL PLAIN, tune, open), requests matched to responses by correlation id, and the
// server's unsolicited frames (confirms, publish errors, deliveries) handed to the publisher or consumer
// that owns them. The socket reads into one buffer of the connection's; frames are cut out of it without
// copying when they arrive whole, a frame split over reads is assembled in one buffer of its final size,
// except a deliver frame, of which only the head is kept (see headOnly).
import { connect, type Socket } from 'node:net'
import { CODE, FrameReader, FrameWriter, KEY } from '../../stream-protocol/index.js'
import type { StreamUri } from './uri.js'

/** Bytes a socket read can bring at most. */
const READ_BUFFER = 256 * 1024
/** A deliver frame's key, version, subscription id and chunk header, with room to spare. */
const DELIVER_HEAD = 64

/**
 * Frames the server sends unasked, by key; the handler gets the frame from its key on (a deliver frame
 * possibly only its first DELIVER_HEAD bytes).
 */
export type PushHandler = (frame: Buffer) => void

interface Pending {
  readonly key: number
  readonly resolve: (r: FrameReader) => void
  readonly reject: (e: Error) => void
}

export class StreamRequestError extends Error {
  constructor(
    what: string,
    readonly code: number,
  ) {
    super(`${what} failed with response code 0x${code.toString(16).padStart(2, '0')}`)
  }
}

export class StreamPerfConnection {
  private nextCorrelation = 1
  private readonly pending = new Map<number, Pending>()
  /** Handlers of unsolicited frames by key. */
  readonly push = new Map<number, PushHandler>()
  private partial: Buffer | undefined
  private partialFill = 0
  private carry: Buffer | undefined
  /** Bytes of the frame being skipped still to come (see headOnly). */
  private skipping = 0
  error: Error | undefined
  private closing = false
  onError: ((e: Error) => void) | undefined
  frameMax = 0

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on('error', (e) => this.fail(e))
    socket.on('close', () => this.fail(new Error('connection closed by the server')))
    this.push.set(KEY.heartbeat, () => this.write(new FrameWriter(KEY.heartbeat).frame()))
    this.push.set(KEY.close, (f) => this.onServerClose(f))
  }

  static async open(uri: StreamUri, name: string): Promise<StreamPerfConnection> {
    const reader: { into?: StreamPerfConnection } = {}
    // Reads land in one buffer of the connection's, used again for every read (no allocation per read):
    // what outlives the callback (a response, a frame cut over reads) is copied out of it.
    const onread = {
      buffer: Buffer.allocUnsafe(READ_BUFFER),
      callback: (n: number, buf: Uint8Array): boolean => {
        reader.into?.onData(Buffer.from(buf.buffer, buf.byteOffset, n))
        return true
      },
    }
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: uri.host, port: uri.port, onread }, () => resolve(s))
      s.once('error', reject)
    })
    const c = (reader.into = new StreamPerfConnection(socket))
    await c.handshake(uri, name)
    return c
  }

  private async handshake(uri: StreamUri, name: string): Promise<void> {
    const props: Array<[string, string]> = [
      ['product', 'warren perf stream'],
      ['connection_name', name],
    ]
    await this.request('peer properties', KEY.peerProperties, (w) => w.map(props))
    await this.request('SASL handshake', KEY.saslHandshake, (w) => w)
    const tuned = new Promise<FrameReader>((resolve) =>
      this.push.set(KEY.tune, (f) => resolve(new FrameReader(Buffer.from(f.subarray(4))))),
    )
    const plain = Buffer.from(`\0${uri.user}\0${uri.password}`)
    await this.request('SASL authenticate', KEY.saslAuthenticate, (w) => w.string('PLAIN').bytes(plain))
    const tune = await tuned
    this.frameMax = tune.u32()
    tune.u32() // the server's heartbeat: answered by echoing its heartbeats, never sent unasked
    this.write(new FrameWriter(KEY.tune).u32(this.frameMax).u32(0).frame())
    await this.request('open', KEY.open, (w) => w.string(uri.vhost))
  }

  /** Sends a request and resolves with the reader positioned after the response code. */
  async request(
    what: string,
    key: number,
    fill: (w: FrameWriter) => FrameWriter,
    okCodes: readonly number[] = [CODE.ok],
  ): Promise<{ code: number; reader: FrameReader }> {
    if (this.error) throw this.error
    const correlationId = this.nextCorrelation++
    const reply = new Promise<FrameReader>((resolve, reject) =>
      this.pending.set(correlationId, { key, resolve, reject }),
    )
    this.write(fill(new FrameWriter(key).u32(correlationId)).frame())
    const reader = await reply
    const code = reader.u16()
    if (!okCodes.includes(code)) throw new StreamRequestError(what, code)
    return { code, reader }
  }

  /** Writes a frame; false when the socket's buffer is full (wait for 'drain'). `sent`: it is in the kernel. */
  write(frame: Buffer, sent?: () => void): boolean {
    return this.socket.write(frame, sent)
  }

  async close(): Promise<void> {
    if (this.error || this.socket.destroyed) return
    this.closing = true
    const closed = this.request('close', KEY.close, (w) => w.u16(CODE.ok).string('perf run over'))
    await Promise.race([closed.catch(() => undefined), new Promise((r) => setTimeout(r, 2000))])
    this.error ??= new Error('closed')
    this.socket.destroy()
  }

  /** Frames out of a read; `data` is the connection's read buffer, valid until this returns. */
  onData(data: Buffer): void {
    let d = data
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, d.length)
      this.skipping -= n
      if (n === d.length) return
      d = d.subarray(n)
    }
    if (this.partial) {
      const n = Math.min(d.length, this.partial.length - this.partialFill)
      d.copy(this.partial, this.partialFill, 0, n)
      this.partialFill += n
      if (this.partialFill < this.partial.length) return
      const whole = this.partial
      this.partial = undefined
      this.dispatch(whole)
      d = d.subarray(n)
    }
    if (this.carry) {
      d = Buffer.concat([this.carry, d])
      this.carry = undefined
    }
    let at = 0
    while (d.length - at >= 4) {
      const size = d.readUInt32BE(at)
      if (d.length - at - 4 >= size) {
        this.dispatch(d.subarray(at + 4, at + 4 + size))
        at += 4 + size
        continue
      }
      if (this.headOnly(d, at, size)) return
      this.partial = Buffer.allocUnsafe(size)
      this.partialFill = d.copy(this.partial, 0, at + 4)
      return
    }
    if (at < d.length) this.carry = Buffer.from(d.subarray(at))
  }

  /**
   * A deliver frame cut over reads is handed over as its head alone (the consumer reads only the chunk
   * header) and the rest skipped as it arrives: the client neither assembles nor copies the chunk data,
   * so it takes less of the CPU it shares with the broker being measured.
   */
  private headOnly(d: Buffer, at: number, size: number): boolean {
    const have = d.length - at - 4
    if (size <= DELIVER_HEAD || have < DELIVER_HEAD || d.readUInt16BE(at + 4) !== KEY.deliver) return false
    this.skipping = size - have
    this.dispatch(d.subarray(at + 4, at + 4 + DELIVER_HEAD))
    return true
  }

  /** One frame without its size: key, version, then the fields. */
  private dispatch(frame: Buffer): void {
    if (this.error) return
    const key = frame.readUInt16BE(0)
    if (key & 0x8000) {
      const correlationId = frame.readUInt32BE(4)
      const p = this.pending.get(correlationId)
      if (!p) return this.fail(new Error(`response to unknown correlation id ${correlationId}`))
      this.pending.delete(correlationId)
      return p.resolve(new FrameReader(Buffer.from(frame.subarray(8))))
    }
    const handler = this.push.get(key)
    if (handler) handler(frame)
  }

  private onServerClose(frame: Buffer): void {
    const r = new FrameReader(frame.subarray(4))
    const correlationId = r.u32()
    const code = r.u16()
    const reason = r.string()
    this.write(new FrameWriter(KEY.close | 0x8000).u32(correlationId).u16(CODE.ok).frame())
    this.fail(new Error(`server closed the connection: code ${code}, ${reason}`))
  }

  private fail(e: Error): void {
    if (this.error) return
    this.error = e
    for (const p of this.pending.values()) p.reject(e)
    this.pending.clear()
    if (!this.closing) this.onError?.(e)
    this.socket.destroy()
  }
}
