// One Stream-protocol connection: splits the byte stream into frames, checks that the handshake comes
// first (peer properties, SASL, tune, open), dispatches frames through a table of handlers, maps domain
// errors to response codes, sends heartbeats and closes. A frame that cannot be read closes this
// connection only (a Close with the reason, then the socket), whatever else the broker serves.
import { countError } from './metrics.js'
import type { Socket } from 'node:net'
import { BrokerError, type Logger } from '../shared/index.js'
import type { Session, StreamAccess, VHost } from '../core/index.js'
import { CODE, KEY, RESPONSE } from './constants.js'
import { FrameReader, MalformedFrameError } from './frame-reader.js'
import { FrameWriter, response } from './frame-writer.js'
import { HANDLERS, type Handler } from './handlers.js'
import type { Publisher } from './publishers.js'
import type { StreamServer } from './server.js'
import type { Subscription } from './subscriptions.js'

export type HandshakeStep =
  'peer-properties' | 'sasl-handshake' | 'sasl-authenticate' | 'tune' | 'open' | 'opened'

/** Largest frame accepted before tune settles frame max. */
const HANDSHAKE_FRAME_MAX = 1_048_576
/**
 * Publish frames whose confirms are awaited (the log's fsync) before the connection stops reading: a
 * publisher faster than the disk waits instead of filling memory.
 */
const MAX_UNCONFIRMED_FRAMES = 256
/**
 * Deliveries pause while more than this is buffered for the socket. Node's own mark (16 KiB) is below
 * one chunk, which would make a subscription wait for a drain after every chunk.
 */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024
/** How long a server-initiated close waits for the client's answer before cutting the socket. */
const CLOSE_WAIT_MS = 1000
/**
 * Responses that carry fields after the code even when it is an error, as RabbitMQ sends them (an empty
 * list or map, a zero): clients decode those fields whatever the code, and fail on a frame without them.
 */
const ERROR_BODY: Readonly<Record<number, (w: FrameWriter) => FrameWriter>> = {
  [KEY.route]: (w) => w.i32(0),
  [KEY.partitions]: (w) => w.i32(0),
  [KEY.streamStats]: (w) => w.i32(0),
  [KEY.queryOffset]: (w) => w.u64(0),
  [KEY.queryPublisherSequence]: (w) => w.u64(0),
}

export class StreamConnection {
  step: HandshakeStep = 'peer-properties'
  user = ''
  session: Session | undefined
  vhost: VHost | undefined
  /** Frame max settled by tune (0: none). */
  frameMax: number
  clientProperties = new Map<string, string>()
  readonly publishers = new Map<number, Publisher>()
  readonly subscriptions = new Map<number, Subscription>()
  /** Answers awaited from the client to our consumer update requests, by correlation id. */
  readonly consumerUpdates = new Map<number, (r: FrameReader | undefined) => void>()
  /** Streams whose deletion this connection watches, and how to stop watching them. */
  readonly watchedStreams = new Set<StreamAccess>()
  readonly unwatch: Array<() => void> = []
  readonly logger: Logger
  readonly name: string
  /** When the socket was accepted, and the heartbeat tune settled: what the management API lists. */
  readonly connectedAt: number
  heartbeatSeconds = 0
  private pending: Buffer | undefined
  /** A frame larger than what has arrived of it: filled in place as the rest comes (no re-copying). */
  private partial: { frame: Buffer; filled: number } | undefined
  private nextCorrelation = 1
  private closed = false
  private writable = true
  private unconfirmedFrames = 0
  private heartbeatTimer: NodeJS.Timeout | undefined
  private receivedSinceTick = true
  private sentSinceTick = true

  constructor(
    readonly server: StreamServer,
    readonly socket: Socket,
    readonly id: number,
  ) {
    this.frameMax = server.o.settings.frameMax
    this.connectedAt = server.o.clock.now()
    this.name = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0} -> ${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`
    this.logger = server.o.logger.child({ connection: this.name, protocol: 'stream' })
    socket.on('data', (d: Buffer) => this.onData(d))
    socket.on('drain', () => this.onDrain())
    socket.on('error', () => undefined) // 'close' follows and cleans up
    socket.once('close', () => this.cleanUp())
  }

  /** Handshake done and not closing: what the management API lists. */
  get isListed(): boolean {
    return this.step === 'opened' && !this.closed
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress
  }

  get isOpen(): boolean {
    return !this.closed
  }

  get isWritable(): boolean {
    return this.writable && !this.closed
  }

  // ---- input ----

  private onData(data: Buffer): void {
    if (this.closed) return
    this.receivedSinceTick = true
    let buf = this.fillPartial(data)
    if (buf === undefined) return
    if (this.pending) buf = Buffer.concat([this.pending, buf])
    this.pending = undefined
    const max = this.step === 'opened' && this.frameMax !== 0 ? this.frameMax : HANDSHAKE_FRAME_MAX
    while (buf.length >= 4 && !this.closed) {
      const size = buf.readUInt32BE(0)
      if (size > max)
        return this.fail(CODE.frameTooLarge, `frame of ${size} bytes is larger than frame max ${max}`)
      if (buf.length < 4 + size) {
        const frame = Buffer.allocUnsafe(size)
        this.partial = { frame, filled: buf.copy(frame, 0, 4) }
        return
      }
      this.onFrame(buf.subarray(4, 4 + size))
      buf = buf.subarray(4 + size)
    }
    if (buf.length > 0 && !this.closed) this.pending = Buffer.from(buf)
  }

  /** Completes a partial frame from data; returns what is left of data, undefined when it took all. */
  private fillPartial(data: Buffer): Buffer | undefined {
    const p = this.partial
    if (!p) return data
    const n = data.copy(p.frame, p.filled)
    p.filled += n
    if (p.filled < p.frame.length) return undefined
    this.partial = undefined
    this.onFrame(p.frame)
    return this.closed ? undefined : data.subarray(n)
  }

  /** Whatever a frame throws stays with this connection: a response code, or a close. */
  private onFrame(frame: Buffer): void {
    try {
      const r = new FrameReader(frame)
      const key = r.u16()
      const version = r.u16()
      this.dispatch(key, version, r)
    } catch (err) {
      if (err instanceof MalformedFrameError)
        return this.fail(CODE.unknownFrame, `malformed frame: ${err.message}`)
      this.logger.error({ err }, 'stream frame handling failed')
      this.fail(CODE.internalError, 'internal error')
    }
  }

  private dispatch(key: number, version: number, r: FrameReader): void {
    if (key === (KEY.consumerUpdate | RESPONSE)) return this.onConsumerUpdateAnswer(r)
    const h: Handler | undefined = HANDLERS[key]
    if (!h) return this.fail(CODE.unknownFrame, `unknown command key 0x${key.toString(16)}`)
    if (!h.beforeOpen && this.step !== 'opened') {
      return this.fail(CODE.unknownFrame, `command 0x${key.toString(16)} before the connection is open`)
    }
    const correlationId = h.oneWay ? 0 : r.u32()
    try {
      h.run(this, r, { correlationId, version, key })
    } catch (err) {
      if (!(err instanceof BrokerError)) throw err
      this.logger.debug({ err: err.message, key }, 'stream request refused')
      // A command without a response (store offset) has nobody to tell: the refusal is only logged.
      if (!h.oneWay) this.respond(key, correlationId, codeOf(err))
    }
  }

  private onConsumerUpdateAnswer(r: FrameReader): void {
    const correlationId = r.u32()
    const answer = this.consumerUpdates.get(correlationId)
    this.consumerUpdates.delete(correlationId)
    answer?.(r)
  }

  // ---- output ----

  send(frame: Buffer): void {
    if (this.closed) return
    this.sentSinceTick = true
    this.socket.write(frame)
    if (this.socket.writableLength > MAX_BUFFERED_BYTES) this.writable = false
  }

  /** One frame given as several buffers (a head and stored bytes): written together, not copied. */
  sendParts(parts: readonly Buffer[]): void {
    if (parts.length === 1) return this.send(parts[0] as Buffer)
    if (this.closed) return
    this.sentSinceTick = true
    this.socket.cork()
    for (const p of parts) this.socket.write(p)
    this.socket.uncork()
    if (this.socket.writableLength > MAX_BUFFERED_BYTES) this.writable = false
  }

  /** Runs fn once everything sent so far is handed to the socket, and a millisecond later. */
  afterWritten(fn: () => void): void {
    if (this.closed) return
    this.socket.write(Buffer.alloc(0), () => setTimeout(fn, 1))
  }

  respond(key: number, correlationId: number, code: number): void {
    if (code !== CODE.ok) countError(this.server.counters, code)
    const w = response(key, correlationId, code)
    const body = code === CODE.ok ? undefined : ERROR_BODY[key]
    this.send((body ? body(w) : w).frame())
  }

  newCorrelationId(): number {
    return this.nextCorrelation++
  }

  private onDrain(): void {
    this.writable = true
    for (const s of this.subscriptions.values()) s.pump()
  }

  /** A publish frame was taken; `done` resolves when its confirms go out. Reading pauses above the limit. */
  publishing(done: Promise<unknown>): void {
    if (++this.unconfirmedFrames === MAX_UNCONFIRMED_FRAMES) this.socket.pause()
    const settled = (): void => {
      if (this.unconfirmedFrames-- === MAX_UNCONFIRMED_FRAMES && !this.closed) this.socket.resume()
    }
    done.then(settled, settled)
  }

  // ---- heartbeats ----

  /** Starts heartbeats once tune settles them: one sent each idle period, two silent ones close. */
  startHeartbeats(seconds: number): void {
    if (seconds <= 0 || this.heartbeatTimer) return
    this.heartbeatSeconds = seconds
    let silent = 0
    this.heartbeatTimer = setInterval(() => {
      if (!this.sentSinceTick) this.send(new FrameWriter(KEY.heartbeat).frame())
      this.sentSinceTick = false
      silent = this.receivedSinceTick ? 0 : silent + 1
      this.receivedSinceTick = false
      if (silent >= 2) {
        this.logger.warn(`missed heartbeats from client, timeout: ${seconds}s`)
        this.socket.destroy()
      }
    }, seconds * 1000)
    this.heartbeatTimer.unref()
  }

  // ---- closing ----

  /** Closes the connection with a Close frame carrying `code` and `reason`, then the socket. */
  fail(code: number, reason: string): void {
    if (this.closed) return
    this.logger.warn({ code }, `closing stream connection: ${reason}`)
    this.closeWith(code, reason)
  }

  private closeWith(code: number, reason: string): void {
    if (this.closed) return
    this.send(new FrameWriter(KEY.close).u32(this.newCorrelationId()).u16(code).string(reason).frame())
    this.closed = true
    this.pending = undefined
    this.socket.end()
    setTimeout(() => this.socket.destroy(), CLOSE_WAIT_MS).unref()
  }

  /**
   * Ends the connection after what was sent: a refused login or vhost (the response said why), or the
   * broker stopping (a Close there would crash rabbitmq-stream-js-client, which takes none from a server).
   */
  drop(): void {
    this.closed = true
    this.pending = undefined
    this.socket.end()
    setTimeout(() => this.socket.destroy(), CLOSE_WAIT_MS).unref()
  }

  /** The client asked to close: answered, then the socket ends. */
  closedByClient(correlationId: number): void {
    this.respond(KEY.close, correlationId, CODE.ok)
    this.closed = true
    this.socket.end()
  }

  private cleanUp(): void {
    this.closed = true
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer)
    for (const s of this.subscriptions.values()) s.close()
    this.subscriptions.clear()
    this.publishers.clear()
    for (const answer of this.consumerUpdates.values()) answer(undefined)
    this.consumerUpdates.clear()
    for (const f of this.unwatch.splice(0)) f()
    this.watchedStreams.clear()
  }
}

/** A domain error as the Stream protocol's response code. */
export function codeOf(err: BrokerError): number {
  if (err.replyCode === 403) return CODE.accessRefused
  if (err.replyCode === 404) return CODE.streamDoesNotExist
  if (err.replyCode === 406) return CODE.preconditionFailed
  return CODE.internalError
}
