// A minimal AMQP 0-9-1 client connection for load generation, built on Warren's own codec. Each
// connection has one channel (number 1), as PerfTest and amqpbench use. Outgoing frames collect in one
// Writer and leave in one socket write per batch; the hot frames (basic.deliver, the content that follows
// it, and the broker's basic.ack/nack in confirm mode) are handed raw to a sink that parses only the
// fields it needs, so a consumed message costs no method object and no strings.
import { connect, type NetConnectOpts, type Socket } from 'node:net'
import {
  decodeMethod,
  FRAME,
  FrameDecoder,
  type FrameHandler,
  type Method,
  type MethodName,
  type MethodOf,
  PROTOCOL_HEADER,
  Reader,
  Writer,
  writeMethodFrame,
} from '../protocol/index.js'
import type { AmqpUri } from './uri.js'

export const CHANNEL = 1
/** What we ask for; RabbitMQ's default is 128 KiB as well. */
const FRAME_MAX = 128 * 1024
/** Bytes queued in user space before write() reports back-pressure (amqpbench blocks at 256 KiB). */
const WRITE_HIGH_WATER = 256 * 1024

/** Content on channel 1, raw. Payloads are only valid during the call. */
export interface ContentSink {
  /** basic.deliver method frame payload (class and method ids included). */
  onDeliver(payload: Buffer): void
  onHeader(payload: Buffer): void
  onBody(payload: Buffer): void
}

export interface ConfirmSink {
  onConfirm(ack: boolean, deliveryTag: number, multiple: boolean): void
}

/** The broker closed the connection or the channel. */
export class AmqpCloseError extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
    readonly scope: 'connection' | 'channel',
  ) {
    super(`broker closed the ${scope}: ${code} ${text}`)
  }
}

interface Pending {
  readonly name: MethodName
  resolve(m: Method): void
  reject(err: Error): void
}

export interface OpenOptions {
  /** connection_name client property, shown in the broker's connection list. */
  readonly name?: string
  readonly timeoutMs?: number
}

export class PerfConnection implements FrameHandler {
  readonly writer = new Writer()
  content: ContentSink | undefined
  confirms: ConfirmSink | undefined
  /** Called when connection.blocked / connection.unblocked arrive. */
  onBlocked: ((blocked: boolean) => void) | undefined
  /** Called once when the connection fails (not on a close we asked for). */
  onError: ((err: Error) => void) | undefined
  blocked = false
  blockedCount = 0
  returned = 0
  frameMax = FRAME_MAX
  /** Why the connection is unusable, once it is. */
  error: Error | undefined
  private readonly decoder = new FrameDecoder(this, FRAME_MAX)
  private readonly reader = new Reader()
  private pending: Pending[] = []
  /** A basic.return's content is arriving: it is not a delivery. */
  private inReturn = false
  private closing = false

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.fail(err))
    socket.on('close', () => this.fail(new Error('connection closed by the broker')))
  }

  static async open(uri: AmqpUri, opts: OpenOptions = {}): Promise<PerfConnection> {
    // writableHighWaterMark reaches the socket's Duplex constructor, though @types/node does not list it.
    const options = { host: uri.host, port: uri.port, writableHighWaterMark: WRITE_HIGH_WATER }
    const socket = connect(options as NetConnectOpts)
    const conn = new PerfConnection(socket)
    const timer = setTimeout(
      () => conn.fail(new Error(`opening ${uri.host}:${uri.port} timed out`)),
      opts.timeoutMs ?? 30_000,
    )
    try {
      await conn.handshake(uri, opts.name ?? 'warren perf')
      return conn
    } catch (err) {
      conn.fail(err as Error)
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  private async handshake(uri: AmqpUri, name: string): Promise<void> {
    const start = this.expect('connection.start')
    this.socket.write(PROTOCOL_HEADER)
    await start
    const tune = this.call(0, startOk(uri, name), 'connection.tune')
    const t = await tune
    this.frameMax = t.frameMax === 0 ? FRAME_MAX : Math.min(t.frameMax, FRAME_MAX)
    this.decoder.maxFrameSize = this.frameMax
    // Heartbeats off: a load run keeps the socket busy, and an idle-connection run is short.
    this.send(0, {
      name: 'connection.tune-ok',
      channelMax: t.channelMax,
      frameMax: this.frameMax,
      heartbeat: 0,
    })
    await this.call(0, { name: 'connection.open', virtualHost: uri.vhost }, 'connection.open-ok')
    await this.call(CHANNEL, { name: 'channel.open' }, 'channel.open-ok')
  }

  /** Sends a method on channel 0 or 1 and waits for the named reply. */
  call<N extends MethodName>(channel: number, m: Method, reply: N): Promise<MethodOf<N>> {
    const p = this.expect(reply)
    this.send(channel, m)
    return p
  }

  send(channel: number, m: Method): void {
    if (this.error) throw this.error
    writeMethodFrame(this.writer, channel, m)
    this.flush()
  }

  /** Hands everything written so far to the socket; false when the socket wants us to wait for 'drain'. */
  flush(): boolean {
    if (this.writer.length === 0 || this.error) return this.error === undefined
    const chunks = this.writer.take()
    if (chunks.length === 1) return this.socket.write(chunks[0] as Buffer)
    this.socket.cork()
    for (const c of chunks) this.socket.write(c)
    this.socket.uncork()
    return this.socket.writableLength < WRITE_HIGH_WATER
  }

  private expect<N extends MethodName>(name: N): Promise<MethodOf<N>> {
    if (this.error) return Promise.reject(this.error)
    return new Promise<MethodOf<N>>((resolve, reject) => {
      this.pending.push({ name, resolve: resolve as (m: Method) => void, reject })
    })
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.push(chunk)
    } catch (err) {
      this.fail(err as Error)
      return
    }
    // Acks written by the consumer while this chunk was parsed leave together.
    if (this.writer.length > 0) this.flush()
  }

  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    const payload = buf.subarray(start, end)
    if (type === FRAME.METHOD) return this.onMethodFrame(channel, payload)
    if (type === FRAME.HEADER) {
      if (!this.inReturn) this.content?.onHeader(payload)
    } else if (type === FRAME.BODY) {
      if (!this.inReturn) this.content?.onBody(payload)
    }
    // Heartbeats need no answer: we asked for none.
  }

  private onMethodFrame(channel: number, payload: Buffer): void {
    const classId = payload.readUInt16BE(0)
    const methodId = payload.readUInt16BE(2)
    if (classId === 60) {
      // Hot path: parse in place rather than decoding a method object.
      if (methodId === 60) {
        this.inReturn = false
        this.content?.onDeliver(payload)
        return
      }
      if (methodId === 80 || methodId === 120) {
        const tag = payload.readUInt32BE(4) * 2 ** 32 + payload.readUInt32BE(8)
        this.confirms?.onConfirm(methodId === 80, tag, ((payload[12] as number) & 1) !== 0)
        return
      }
      if (methodId === 50) {
        this.inReturn = true
        this.returned++
        return
      }
    }
    const m = decodeMethod(this.reader.reset(payload, 4, payload.length), classId, methodId)
    if (m) this.onMethod(channel, m)
  }

  private onMethod(channel: number, m: Method): void {
    switch (m.name) {
      case 'connection.close':
        this.send(0, { name: 'connection.close-ok' })
        return this.fail(new AmqpCloseError(m.replyCode, m.replyText, 'connection'))
      case 'channel.close':
        this.send(channel, { name: 'channel.close-ok' })
        return this.fail(new AmqpCloseError(m.replyCode, m.replyText, 'channel'))
      case 'connection.blocked':
      case 'connection.unblocked':
        this.blocked = m.name === 'connection.blocked'
        if (this.blocked) this.blockedCount++
        return this.onBlocked?.(this.blocked)
      case 'basic.cancel':
        return // the queue went away; the run notices the missing deliveries
    }
    const next = this.pending.shift()
    if (!next) return this.fail(new Error(`unexpected ${m.name} from the broker`))
    if (next.name !== m.name) return this.fail(new Error(`expected ${next.name}, got ${m.name}`))
    next.resolve(m)
  }

  /** Closes cleanly (connection.close, waits for close-ok up to timeoutMs), then drops the socket. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.error || this.closing) return void this.socket.destroy()
    this.closing = true
    const ok = this.call(0, closeMethod(), 'connection.close-ok')
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    await Promise.race([
      ok.then(
        () => undefined,
        () => undefined,
      ),
      timeout,
    ])
    clearTimeout(timer)
    this.error ??= new Error('connection closed')
    this.socket.destroy()
  }

  /** Marks the connection unusable, fails waiting calls and drops the socket. */
  fail(err: Error): void {
    if (this.error) return
    this.error = err
    const pending = this.pending
    this.pending = []
    for (const p of pending) p.reject(err)
    this.socket.destroy()
    if (!this.closing) this.onError?.(err)
  }
}

function startOk(uri: AmqpUri, name: string): Method {
  return {
    name: 'connection.start-ok',
    clientProperties: {
      product: 'warren perf',
      platform: `Node.js ${process.version}`,
      connection_name: name,
      capabilities: { publisher_confirms: true, 'connection.blocked': true, consumer_cancel_notify: true },
    },
    mechanism: 'PLAIN',
    response: Buffer.from(`\0${uri.user}\0${uri.password}`),
    locale: 'en_US',
  }
}

function closeMethod(): Method {
  return { name: 'connection.close', replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 }
}
