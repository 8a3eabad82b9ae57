// One AMQP connection: protocol header, handshake (start/tune/open), frame dispatch to channels,
// heartbeats, and closing in both directions. Frames written during one event-loop turn are coalesced
// into a single socket write (see flush()).
import type { Socket } from 'node:net'
import type { User } from '../auth/index.js'
import type { Queue, VHost } from '../core/index.js'
import {
  FRAME,
  FrameDecoder,
  type FrameHandler,
  describeFrame,
  erlangBinary,
  HEARTBEAT_FRAME,
  type Method,
  PROTOCOL_HEADER,
  writeMethodFrame,
  Writer,
  decodeMethod,
} from '../protocol/index.js'
import {
  BrokerError,
  ChannelError,
  ConnectionForcedError,
  FrameError,
  InternalError,
  NotAllowedError,
  NotImplementedError,
  UnexpectedFrameError,
  type FieldTable,
  type Logger,
  type TimerHandle,
} from '../shared/index.js'
import { Channel } from './channel.js'
import type { ConnectionContext } from './context.js'
import { Handshake } from './handshake.js'
import { Blocking } from './blocking.js'
import { Heartbeat } from './heartbeat.js'

/** Pending output above which consumers stop being fed until the socket drains. */
const WRITE_HIGH_WATER = 1024 * 1024
/** How long a closing connection waits for close-ok before dropping the socket. */
const CLOSE_OK_TIMEOUT_MS = 3000

type State = 'header' | 'handshake' | 'open' | 'closing' | 'closed'

/** The header 0-9 clients sent before 0-9-1 ("AMQP" 1 1 0 9): RabbitMQ answers it with 0-9-1. */
const LEGACY_0_9_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 9])

export class Connection implements FrameHandler {
  readonly id: number
  readonly name: string
  readonly logger: Logger
  readonly connectedAt: number
  state: State = 'header'
  frameMax: number
  channelMax: number
  heartbeatSeconds = 0
  vhost: VHost | undefined
  user: User | undefined
  clientProperties: FieldTable = {}
  readonly channels = new Map<number, Channel>()
  /** Channels waiting for channel.close-ok after the server closed them. */
  private readonly closingChannels = new Set<number>()
  readonly writer = new Writer()
  private readonly decoder: FrameDecoder
  private readonly handshake: Handshake
  private readonly heartbeat: Heartbeat
  private headerBytes = Buffer.alloc(0)
  private flushScheduled = false
  /** Set when a consumer was refused for back-pressure; cleared by resuming delivery. */
  private deliveryStalled = false
  private closeTimer: TimerHandle | undefined
  private readPauses = 0
  readonly blocking = new Blocking(this)
  private stopWatchingAlarms: (() => void) | undefined
  private cleanedUp = false
  private readonly onClosed: (c: Connection) => void

  constructor(
    readonly socket: Socket,
    readonly ctx: ConnectionContext,
    onClosed: (c: Connection) => void,
  ) {
    this.onClosed = onClosed
    this.id = ctx.nextConnectionId()
    this.name = `${socket.remoteAddress}:${socket.remotePort} -> ${socket.localAddress}:${socket.localPort}`
    this.logger = ctx.logger.child({ connection: this.name })
    this.connectedAt = ctx.clock.now()
    this.frameMax = ctx.settings.frameMax
    this.channelMax = ctx.settings.channelMax
    this.decoder = new FrameDecoder(this, ctx.settings.frameMax)
    this.handshake = new Handshake(this)
    this.heartbeat = new Heartbeat(this)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('drain', () => this.resumeDelivery())
    socket.on('error', (err) => this.logger.debug({ err: err.message }, 'socket error'))
    socket.on('close', () => this.cleanup())
    this.handshake.startTimer()
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? ''
  }

  // ---- input ----

  private onData(chunk: Buffer): void {
    this.heartbeat.received()
    try {
      if (this.state === 'header') chunk = this.readProtocolHeader(chunk)
      if (chunk.length > 0 && this.state !== 'closed') this.decoder.push(chunk)
    } catch (err) {
      this.fail(err, 0, undefined)
    }
  }

  /** Checks the 8-byte protocol header; returns whatever followed it. */
  private readProtocolHeader(chunk: Buffer): Buffer {
    const need = 8 - this.headerBytes.length
    this.headerBytes = Buffer.concat([this.headerBytes, chunk.subarray(0, need)])
    if (this.headerBytes.length < 8) {
      const n = this.headerBytes.length
      const plausible = [PROTOCOL_HEADER, LEGACY_0_9_HEADER].some((h) =>
        h.subarray(0, n).equals(this.headerBytes),
      )
      if (!plausible) this.refuseHeader()
      return Buffer.alloc(0)
    }
    if (!this.headerBytes.equals(PROTOCOL_HEADER) && !this.headerBytes.equals(LEGACY_0_9_HEADER)) {
      this.refuseHeader()
      return Buffer.alloc(0)
    }
    this.state = 'handshake'
    this.handshake.sendStart()
    return chunk.subarray(need)
  }

  /** A wrong protocol header gets the header we speak, then the socket closes (spec 4.2.2). */
  private refuseHeader(): void {
    this.logger.info('client sent an unsupported protocol header; replied with AMQP 0-9-1 and closed')
    this.state = 'closed'
    this.socket.end(PROTOCOL_HEADER)
  }

  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (this.state === 'closed') return
    switch (type) {
      case FRAME.METHOD:
        return this.onMethodFrame(channel, buf, start, end)
      case FRAME.HEADER:
      case FRAME.BODY:
        return this.onContentFrame(type, channel, buf, start, end)
      case FRAME.HEARTBEAT:
        if (end > start)
          throw new FrameError(`${describeFrame(type, buf.subarray(start, end))}: unknown_frame`)
        if (channel !== 0) throw new UnexpectedFrameError(describeFrame(type, buf.subarray(start, end)))
        return
      default:
        throw new FrameError(`${describeFrame(type, buf.subarray(start, end))}: unknown_frame`)
    }
  }

  private onMethodFrame(channel: number, buf: Buffer, start: number, end: number): void {
    if (this.state === 'handshake' && channel !== 0)
      throw new UnexpectedFrameError(describeFrame(FRAME.METHOD, buf.subarray(start, end)))
    if (end - start < 4)
      throw new FrameError(`${describeFrame(FRAME.METHOD, buf.subarray(start, end))}: cannot decode`)
    const classId = ((buf[start] as number) << 8) | (buf[start + 1] as number)
    const methodId = ((buf[start + 2] as number) << 8) | (buf[start + 3] as number)
    let method: Method | undefined
    try {
      method = decodeMethod(this.ctx.codec.reader.reset(buf, start + 4, end), classId, methodId)
    } catch {
      const err = new FrameError(`cannot decode ${erlangBinary(buf.subarray(start + 4, end))}`)
      return this.fail(err, 0, [classId, methodId])
    }
    if (!method) {
      const err = new NotImplementedError(`unknown method class ${classId} method ${methodId}`)
      return this.fail(err, 0, [classId, methodId])
    }
    try {
      this.dispatchMethod(channel, method, classId, methodId)
    } catch (err) {
      this.fail(err, channel, [classId, methodId])
    }
  }

  private dispatchMethod(channel: number, method: Method, classId: number, methodId: number): void {
    if (this.state === 'closing') return this.onMethodWhileClosing(channel, method)
    if (channel === 0) return this.onConnectionMethod(method)
    if (this.closingChannels.has(channel)) return this.onMethodWhileChannelClosing(channel, method)
    const ch = this.channels.get(channel)
    if (method.name === 'channel.open') return this.openChannel(channel, ch)
    if (!ch) throw new ChannelError(`expected 'channel.open'`)
    const waiting = ch.onMethod(method)
    if (waiting) this.suspendUntil(waiting, channel, [classId, methodId])
  }

  /**
   * A handler is waiting for I/O (a durable declare being written, say): later frames of this
   * connection wait too, so that replies keep their order, and reading pauses for back-pressure.
   */
  private suspendUntil(work: Promise<void>, channel: number, method: readonly [number, number]): void {
    this.decoder.pause()
    this.pauseReading()
    work
      .catch((err: unknown) => this.fail(err, channel, method))
      .finally(() => {
        if (this.state === 'closed') return
        this.resumeReading()
        try {
          this.decoder.resume()
        } catch (err) {
          this.fail(err, 0, undefined)
        }
      })
  }

  private onContentFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (this.state === 'closing' || this.closingChannels.has(channel)) return
    if (channel === 0 || this.state !== 'open')
      throw new UnexpectedFrameError(describeFrame(type, buf.subarray(start, end)))
    const ch = this.channels.get(channel)
    if (!ch) throw new ChannelError(`expected 'channel.open'`)
    try {
      if (type === FRAME.HEADER) ch.content.onHeaderFrame(buf, start, end)
      else ch.content.onBodyFrame(buf, start, end)
    } catch (err) {
      this.fail(err, channel, ch.content.pendingMethodIds())
    }
  }

  private onConnectionMethod(m: Method): void {
    if (this.state === 'handshake') return this.handshake.onMethod(m)
    switch (m.name) {
      case 'connection.close':
        this.send(0, { name: 'connection.close-ok' })
        this.flush()
        this.terminate()
        return
      case 'connection.close-ok':
        return this.terminate()
      case 'connection.update-secret':
        this.send(0, { name: 'connection.update-secret-ok' })
        return
      case 'connection.blocked':
      case 'connection.unblocked':
        return // clients may echo these; nothing to do
      default:
        throw new ChannelError('unexpected method in connection state running')
    }
  }

  private onMethodWhileClosing(channel: number, m: Method): void {
    if (channel !== 0) return
    if (m.name === 'connection.close-ok') this.terminate()
    else if (m.name === 'connection.close') {
      this.send(0, { name: 'connection.close-ok' })
      this.flush()
      this.terminate()
    }
  }

  /** After the server closed a channel, everything on it but close/close-ok is discarded (spec 2.3.5). */
  private onMethodWhileChannelClosing(channel: number, m: Method): void {
    if (m.name === 'channel.close-ok') this.closingChannels.delete(channel)
    else if (m.name === 'channel.close') {
      this.closingChannels.delete(channel)
      this.send(channel, { name: 'channel.close-ok' })
    }
  }

  /**
   * RabbitMQ accepts any channel number and enforces channel_max as the number of channels open at
   * once; so does Warren.
   */
  private openChannel(id: number, existing: Channel | undefined): void {
    if (existing) throw new ChannelError(`second 'channel.open' seen`)
    if (this.channels.size >= this.channelMax) {
      const err = new NotAllowedError(
        `number of channels opened (${this.channels.size}) has reached the negotiated channel_max (${this.channelMax})`,
      )
      err.method = [0, 0] // as RabbitMQ reports it
      throw err
    }
    this.channels.set(id, new Channel(this, id))
    this.send(id, { name: 'channel.open-ok' })
  }

  /** Called by a channel that processed channel.close from the client. */
  channelClosed(id: number): void {
    this.channels.delete(id)
  }

  /**
   * Server-sent notifications (basic.cancel for a deleted queue) wait while a method of this
   * connection is being answered, so that RabbitMQ's order holds: the delete-ok first, then the cancel.
   */
  notify(send: () => void): void {
    if (this.heldNotifications) this.heldNotifications.push(send)
    else send()
  }

  /** Holds notifications until the returned function is called. */
  holdNotifications(): () => void {
    if (this.heldNotifications) return () => {}
    const held: Array<() => void> = (this.heldNotifications = [])
    return () => {
      this.heldNotifications = undefined
      if (this.state === 'open') for (const send of held) send()
    }
  }
  private heldNotifications: Array<() => void> | undefined

  /** Credit flow: stop reading this publisher until `q` has caught up (one hold per queue at a time). */
  holdFor(q: Queue): void {
    if (this.heldBy.has(q)) return
    this.heldBy.add(q)
    this.pauseReading()
    q.whenDrained(() => {
      this.heldBy.delete(q)
      this.resumeReading()
    })
  }
  private readonly heldBy = new Set<Queue>()

  /** Reading stops while anything asks it to (a handler's I/O, a resource alarm). */
  pauseReading(): void {
    if (this.readPauses++ === 0) this.socket.pause()
  }

  resumeReading(): void {
    if (this.readPauses > 0 && --this.readPauses === 0) this.socket.resume()
  }

  /** While reading is paused the client's heartbeats cannot be seen, so they are not expected. */
  get readingPaused(): boolean {
    return this.readPauses > 0
  }

  get clientCapabilities(): Record<string, unknown> {
    const caps = this.clientProperties['capabilities']
    return typeof caps === 'object' && caps !== null && !Array.isArray(caps)
      ? (caps as Record<string, unknown>)
      : {}
  }

  sendBlocked(reason: string): void {
    this.send(0, { name: 'connection.blocked', reason })
  }

  sendUnblocked(): void {
    this.send(0, { name: 'connection.unblocked' })
  }

  // ---- errors ----

  /** Maps an error to a channel or connection close, as the spec's soft/hard classes say. */
  fail(err: unknown, channel: number, method: readonly [number, number] | undefined): void {
    const e = err instanceof BrokerError ? err : this.internalError(err)
    const [classId, methodId] = e.method ?? method ?? [0, 0]
    const ch = channel > 0 ? this.channels.get(channel) : undefined
    if (!e.hard && ch) {
      this.logger.info({ channel, code: e.replyCode }, `closing channel: ${e.replyText}`)
      ch.teardown()
      this.channels.delete(channel)
      this.closingChannels.add(channel)
      this.send(channel, {
        name: 'channel.close',
        replyCode: e.replyCode,
        replyText: clip(e.replyText),
        classId,
        methodId,
      })
      return
    }
    this.close(e.replyCode, e.replyText, classId, methodId)
  }

  private internalError(err: unknown): BrokerError {
    this.logger.error({ err }, 'internal error while handling a frame')
    return new InternalError(err instanceof Error ? err.message : String(err))
  }

  /** Server-initiated connection.close; the socket closes on close-ok or after a timeout. */
  close(replyCode: number, replyText: string, classId = 0, methodId = 0): void {
    if (this.state === 'closing' || this.state === 'closed') return
    const level = replyCode === 320 || replyCode === 200 ? 'info' : 'warn'
    this.logger[level]({ code: replyCode }, `closing connection: ${replyText}`)
    if (this.state === 'header') return this.terminate()
    this.state = 'closing'
    this.teardownChannels()
    this.send(0, { name: 'connection.close', replyCode, replyText: clip(replyText), classId, methodId })
    this.flush()
    // A client that never answers close-ok loses the socket outright.
    this.closeTimer = this.ctx.clock.setTimeout(() => this.terminate(true), CLOSE_OK_TIMEOUT_MS)
    this.closeTimer.unref?.()
  }

  /** Broker shutdown or an operator's request: 320 CONNECTION_FORCED. */
  forceClose(reason: string): void {
    this.close(320, new ConnectionForcedError(reason).replyText)
  }

  // ---- output ----

  send(channel: number, m: Method): void {
    writeMethodFrame(this.writer, channel, m)
    this.scheduleFlush()
  }

  scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => this.flush())
  }

  /** Writes everything queued this turn in one go (cork/uncork turns several buffers into one writev). */
  flush(): void {
    this.flushScheduled = false
    if (this.confirmingChannels.size > 0) {
      for (const ch of this.confirmingChannels) ch.writePendingConfirms()
      this.confirmingChannels.clear()
    }
    if (this.writer.length === 0 || this.socket.destroyed) return
    if (this.outputHolds !== undefined && this.state === 'open') return
    this.heartbeat.sent()
    const chunks = this.writer.take()
    if (chunks.length === 1) this.socket.write(chunks[0] as Buffer)
    else {
      this.socket.cork()
      for (const c of chunks) this.socket.write(c)
      this.socket.uncork()
    }
    if (this.deliveryStalled && this.socket.writableLength < WRITE_HIGH_WATER)
      setImmediate(() => this.resumeDelivery())
  }

  /**
   * Nothing leaves for the client until `wait` resolves: a delivery written meanwhile must not reach the
   * consumer before its message's delivered-mark can survive a crash (see Queue.handedOut). Rare: a
   * store's delivery lease covers many deliveries ahead.
   */
  holdOutputUntil(wait: Promise<void>): void {
    const holds = (this.outputHolds ??= new Set())
    if (holds.has(wait)) return
    holds.add(wait)
    wait
      .catch((err: unknown) => this.logger.error({ err }, 'a delivered-mark could not be stored'))
      .finally(() => {
        holds.delete(wait)
        if (holds.size === 0 && this.outputHolds === holds) this.outputHolds = undefined
        this.scheduleFlush()
      })
  }
  /** Made on first use: thousands of idle connections need none. */
  private outputHolds: Set<Promise<void>> | undefined

  /** Channels with confirms to write at the next flush. */
  private readonly confirmingChannels = new Set<Channel>()
  onBeforeFlush(ch: Channel): void {
    this.confirmingChannels.add(ch)
  }

  writeHeartbeat(): void {
    this.writer.bytes(HEARTBEAT_FRAME)
    this.flush()
  }

  /** Whether consumers on this connection may be handed more messages now. */
  canDeliver(): boolean {
    if (this.writer.length + this.socket.writableLength < WRITE_HIGH_WATER) return true
    this.deliveryStalled = true
    return false
  }

  private resumeDelivery(): void {
    if (!this.deliveryStalled || this.state !== 'open') return
    this.deliveryStalled = false
    for (const ch of this.channels.values()) ch.resumeConsumers()
  }

  // ---- lifecycle ----

  opened(vhost: VHost, user: User): void {
    this.vhost = vhost
    this.user = user
    this.state = 'open'
    this.decoder.maxFrameSize = this.frameMax
    this.heartbeat.start(this.heartbeatSeconds)
    this.stopWatchingAlarms = this.ctx.broker.onAlarmsChanged((alarms) => this.blocking.alarmsChanged(alarms))
    this.blocking.alarmsChanged(this.ctx.broker.alarms)
    this.logger.info({ user: user.name, vhost: vhost.name }, 'connection opened')
  }

  setNegotiatedFrameMax(frameMax: number): void {
    this.frameMax = frameMax
  }

  private teardownChannels(): void {
    for (const ch of this.channels.values()) ch.teardown()
    this.channels.clear()
  }

  /**
   * Ends the connection: pending output is flushed and our side of the socket closed. Input is read
   * and discarded until the client closes too (a client may still be writing frames it queued before
   * its close; destroying the socket would hit it with EPIPE), or until a timeout.
   */
  terminate(destroy = false): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.flush()
    if (destroy) this.socket.destroy()
    else {
      this.socket.end()
      this.ctx.clock.setTimeout(() => this.socket.destroy(), CLOSE_OK_TIMEOUT_MS).unref?.()
    }
    this.cleanup()
  }

  private cleanup(): void {
    if (this.cleanedUp) return
    this.cleanedUp = true
    if (this.closeTimer) this.ctx.clock.clearTimeout(this.closeTimer)
    this.heartbeat.stop()
    this.stopWatchingAlarms?.()
    this.handshake.stopTimer()
    const wasOpen = this.vhost !== undefined
    this.state = 'closed'
    this.teardownChannels()
    if (this.vhost) this.vhost.connectionClosed(this.id)
    this.vhost = undefined
    if (wasOpen) this.logger.info('connection closed')
    this.onClosed(this)
  }
}

/** Reply texts are short strings: at most 255 bytes. */
function clip(text: string): string {
  if (Buffer.byteLength(text) <= 255) return text
  let s = text.slice(0, 255)
  while (Buffer.byteLength(s) > 255) s = s.slice(0, -1)
  return s
}
