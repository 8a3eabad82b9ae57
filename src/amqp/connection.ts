// One AMQP connection: its state, channels, handshake and heartbeats, and closing in both directions.
// What it reads is in connection-input.ts (the protocol header, frame dispatch), what it writes in
// connection-output.ts (one socket write per event-loop turn).
import type { Socket } from 'node:net'
import type { User } from '../auth/index.js'
import type { VHost } from '../core/index.js'
import type { Method } from '../protocol/index.js'
import {
  BrokerError,
  ConnectionForcedError,
  InternalError,
  type FieldTable,
  type Logger,
  type TimerHandle,
  displayAddress,
} from '../shared/index.js'
import type { Channel } from './channel.js'
import type { ConnectionContext } from './context.js'
import { Handshake } from './handshake.js'
import { Blocking } from './blocking.js'
import { Heartbeat } from './heartbeat.js'
import { ConnectionInput } from './connection-input.js'
import { ConnectionOutput } from './connection-output.js'

/** How long a closing connection waits for close-ok before dropping the socket. */
const CLOSE_OK_TIMEOUT_MS = 3000

type State = 'header' | 'handshake' | 'open' | 'closing' | 'closed'

export class Connection {
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
  readonly input: ConnectionInput
  readonly output: ConnectionOutput
  /** The output's writer, named here for the channels' hot path. */
  readonly writer: ConnectionOutput['writer']
  readonly handshake: Handshake
  private readonly heartbeat: Heartbeat
  private closeTimer: TimerHandle | undefined
  readonly blocking = new Blocking(this)
  private stopWatchingAlarms: (() => void) | undefined
  /** Uncounts this connection from its vhost's and user's (core/tracking.ts). */
  private untrack: (() => void) | undefined
  private cleanedUp = false
  private readonly onClosed: (c: Connection) => void

  constructor(
    readonly socket: Socket,
    readonly ctx: ConnectionContext,
    onClosed: (c: Connection) => void,
  ) {
    this.onClosed = onClosed
    this.id = ctx.nextConnectionId()
    const [peer, local] = [displayAddress(socket.remoteAddress), displayAddress(socket.localAddress)]
    this.name = `${peer}:${socket.remotePort} -> ${local}:${socket.localPort}`
    this.logger = ctx.logger.child({ connection: this.name })
    this.connectedAt = ctx.clock.now()
    this.frameMax = ctx.settings.frameMax
    this.channelMax = ctx.settings.channelMax
    this.input = new ConnectionInput(this)
    this.output = new ConnectionOutput(this.outputHost())
    this.writer = this.output.writer
    this.handshake = new Handshake(this)
    this.heartbeat = new Heartbeat(this)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      this.heartbeat.received()
      this.input.onData(chunk)
    })
    socket.on('error', (err) => this.logger.debug({ err: err.message }, 'socket error'))
    socket.on('close', () => this.cleanup())
    this.handshake.startTimer()
  }

  private outputHost(): ConstructorParameters<typeof ConnectionOutput>[0] {
    return {
      socket: this.socket,
      logger: this.logger,
      isOpen: () => this.state === 'open',
      wroteToSocket: () => this.heartbeat.sent(),
      resumeConsumers: () => {
        for (const ch of this.channels.values()) ch.resumeConsumers()
      },
    }
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? ''
  }

  /** Reading stops while anything asks it to (a handler's I/O, credit flow, a resource alarm). */
  pauseReading(): void {
    this.input.pauseReading()
  }

  resumeReading(): void {
    this.input.resumeReading()
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

  /** Called by a channel that processed channel.close from the client. */
  channelClosed(id: number): void {
    this.channels.delete(id)
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
      this.input.channelClosing(channel)
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
    this.output.flush()
    // A client that never answers close-ok loses the socket outright.
    this.closeTimer = this.ctx.clock.setTimeout(() => this.terminate(true), CLOSE_OK_TIMEOUT_MS)
    this.closeTimer.unref?.()
  }

  /** Broker shutdown or an operator's request: 320 CONNECTION_FORCED. */
  forceClose(reason: string): void {
    this.close(320, new ConnectionForcedError(reason).replyText)
  }

  send(channel: number, m: Method): void {
    this.output.send(channel, m)
  }

  // ---- lifecycle ----

  opened(vhost: VHost, user: User): void {
    this.vhost = vhost
    this.user = user
    this.untrack = this.ctx.broker.tracking.connectionOpened(vhost.name, user.name)
    this.state = 'open'
    this.input.maxFrameSize = this.frameMax
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
    this.output.flush()
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
    // As RabbitMQ counts them, every AMQP socket that closes is a closed connection, opened or not.
    if (this.untrack) this.untrack()
    else this.ctx.broker.churn.connectionsClosed++
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
