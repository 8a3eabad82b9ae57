// One STOMP connection: frames decoded from the socket and handled one at a time (a frame that waits for
// a congested queue pauses reading, so replies keep their order), the CONNECT and its version and
// heart-beat negotiation, receipts, and the end of the connection. Every error is an ERROR frame (with
// the receipt-id of the frame that caused it) followed by the close of this connection only.
import { randomBytes } from 'node:crypto'
import type { DurabilityTicket, PublishResult } from '../core/index.js'
import {
  BrokerError,
  displayAddress,
  type Logger,
  protocolOver,
  ReadTurns,
  SocketOutput,
  type Transport,
} from '../shared/index.js'
import type { StompContext } from './context.js'
import { FrameDecoder } from './decoder.js'
import { encodeFrame, HEARTBEAT } from './encoder.js'
import { type Frame, header, type Headers, StompError } from './frame.js'
import { Heartbeats } from './heartbeats.js'
import { login } from './login.js'
import { describe, errorHeaders, messageHeaders, negotiate, serverCancelled } from './replies.js'
import type { Delivery } from './settlement.js'
import { StompSession } from './stomp-session.js'

/** Frame headers allowed beyond the broker's max message size. */
const HEADER_BYTES = 64 * 1024

export class StompConnection {
  readonly name: string
  /** The protocol as the management API shows it (RabbitMQ: "STOMP 1.2"). */
  protocol = 'STOMP'
  readonly connectedAt: number
  readonly frameMax = 0
  readonly channelMax = 0
  heartbeatSeconds = 0
  readonly channels = new Map<number, StompSession>()
  clientProperties: Record<string, string> = {}
  readonly logger: Logger
  state: 'connecting' | 'open' | 'closed' = 'connecting'
  private version = '1.0'
  private session: StompSession | undefined
  private readonly decoder: FrameDecoder
  private readonly output: SocketOutput
  private readonly turns: ReadTurns
  private readonly heartbeats: Heartbeats
  private readonly inbox: Frame[] = []
  private busy = false
  /** Receipts waiting for their messages' durability, chained so they go out in order. */
  private pendingReceipts: Promise<void> | undefined
  private untrack: (() => void) | undefined
  /** Set while the connection is blocked by a resource alarm. */
  private stopWaitingForAlarms: (() => void) | undefined

  constructor(
    readonly socket: Transport,
    private readonly ctx: StompContext,
    readonly id: number,
    private readonly onClosed: (c: StompConnection) => void,
  ) {
    const [peer, local] = [displayAddress(socket.remoteAddress), displayAddress(socket.localAddress)]
    this.name = `${peer}:${socket.remotePort} -> ${local}:${socket.localPort}`
    this.connectedAt = ctx.clock.now()
    this.logger = ctx.logger.child({ connection: this.name, protocol: 'stomp' })
    const maxBody = ctx.broker.limits.maxMessageSize
    this.decoder = new FrameDecoder({ maxBody, maxHeaderBytes: HEADER_BYTES, maxHeaders: 1000 })
    this.heartbeats = new Heartbeats(
      ctx.clock,
      () => this.output.write(HEARTBEAT),
      (why) => this.close(why),
    )
    this.output = new SocketOutput(socket, {
      wrote: () => this.heartbeats.sent(),
      writable: () => this.session?.drained(),
    })
    this.turns = new ReadTurns(socket, () => this.busy)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.logger.debug({ err: err.message }, 'STOMP socket error'))
    socket.on('close', () => this.close('socket closed'))
    this.heartbeats.deadline(ctx.settings.connectTimeout * 1000, 'no CONNECT in time')
  }

  get vhost(): { readonly name: string } | undefined {
    return this.session?.vhost
  }

  get user(): { readonly name: string } | undefined {
    return this.session && { name: this.session.session.user }
  }

  private onData(chunk: Buffer): void {
    this.heartbeats.heard()
    this.turns.read(chunk.length)
    try {
      for (const f of this.decoder.push(chunk)) this.inbox.push(f)
    } catch (err) {
      return this.fail(err, undefined)
    }
    this.pump()
  }

  private pump(): void {
    while (!this.busy && this.state !== 'closed' && this.inbox.length > 0) {
      const f = this.inbox.shift() as Frame
      let waiting: Promise<void> | void
      try {
        waiting = this.handle(f)
      } catch (err) {
        // After an error that is not fatal the next frames are read as usual.
        this.fail(err, f)
        continue
      }
      if (waiting) this.wait(waiting, f)
    }
  }

  /** Stops reading until `p` settles (a congested queue), then goes on with the frames that came meanwhile. */
  private wait(p: Promise<void>, f: Frame): void {
    this.busy = true
    this.socket.pause()
    const goOn = (): void => {
      this.busy = false
      if (this.state === 'closed') return
      this.socket.resume()
      this.pump()
    }
    p.then(goOn, (err: unknown) => {
      this.fail(err, f)
      goOn()
    })
  }

  private handle(f: Frame): void | Promise<void> {
    if (this.state === 'connecting') {
      if (f.command !== 'CONNECT' && f.command !== 'STOMP')
        throw new StompError('Illegal command', 'You must log in using CONNECT first')
      return this.onConnect(f)
    }
    const s = this.session as StompSession
    switch (f.command) {
      case 'CONNECT':
      case 'STOMP':
        throw new StompError('Illegal command', 'Already connected')
      case 'SEND':
        return this.onSend(s, f)
      case 'SUBSCRIBE':
        s.subscribe(f)
        break
      case 'UNSUBSCRIBE':
        s.unsubscribe(f)
        break
      case 'ACK':
      case 'NACK':
        s.settle(f, this.version)
        break
      case 'BEGIN':
        s.begin(f)
        break
      case 'COMMIT':
      case 'ABORT':
        s.end(f)
        break
      case 'DISCONNECT': {
        // Its receipt goes after those still waiting for the disk, and then the connection ends.
        this.receipt(f, [])
        const pending = this.pendingReceipts
        if (!pending) return this.close('client disconnected')
        return pending.then(() => this.close('client disconnected'))
      }
    }
    this.receipt(f, [])
  }

  // ---- CONNECT ----

  private onConnect(f: Frame): void {
    const version = negotiate(header(f, 'accept-version'))
    const { vhost, user } = login(this.ctx, f, this.socket.remoteAddress ?? '')
    this.version = version
    this.decoder.escaping = version !== '1.0'
    for (const next of this.decoder.resume()) this.inbox.push(next)
    const sessionId = `session-${randomBytes(16).toString('base64url')}`
    this.untrack = this.ctx.broker.tracking.connectionOpened(vhost.name, user.name)
    const session = (this.session = new StompSession(this.ctx, {
      vhost,
      user: user.name,
      sessionId,
      connectionId: this.id,
      connectionName: this.name,
      logger: this.logger,
      send: (d, wait) => this.writeMessage(d, wait),
      canWrite: () => this.output.canWrite(),
      // The subscription's queue was deleted: the client is told, and the connection goes on.
      serverCancelled: (id) => {
        const e = serverCancelled(id)
        this.write('ERROR', e.headers, e.body)
      },
    }))
    this.channels.set(session.id, session)
    this.state = 'open'
    this.protocol = protocolOver(this.socket, `STOMP ${version}`)
    const beat = this.heartbeats.negotiate(header(f, 'heart-beat'))
    this.heartbeatSeconds = Math.round(Number(beat.split(',')[1]) / 1000)
    this.clientProperties = { session: sessionId }
    const headers: Array<[string, string]> = [
      ['server', this.ctx.settings.server],
      ['session', sessionId],
      ['heart-beat', beat],
      ['version', version],
    ]
    this.write('CONNECTED', headers)
    this.logger.info({ user: user.name, vhost: vhost.name, version }, 'STOMP connection opened')
  }

  // ---- SEND and receipts ----

  private onSend(s: StompSession, f: Frame): Promise<void> | undefined {
    const result: PublishResult | undefined = s.send(f)
    this.receipt(f, result?.tickets ?? [])
    const congested = result?.congested
    const drained = congested && new Promise<void>((resolve) => congested.whenDrained(resolve))
    const alarmsClear = this.ctx.broker.alarms.size > 0 ? this.untilAlarmsClear() : undefined
    if (drained || alarmsClear) return Promise.all([drained, alarmsClear]).then(() => undefined)
    return undefined
  }

  /** A resource alarm blocks a publishing connection until it clears, as RabbitMQ blocks AMQP publishers. */
  private untilAlarmsClear(): Promise<void> {
    this.heartbeats.paused = true
    return new Promise((resolve) => {
      const stop = this.ctx.broker.onAlarmsChanged((alarms) => {
        if (alarms.size > 0 && this.state !== 'closed') return
        stop()
        this.stopWaitingForAlarms = undefined
        this.heartbeats.paused = false
        resolve()
      })
      this.stopWaitingForAlarms = stop
    })
  }

  /**
   * The RECEIPT a frame asked for, once what it did is safe: its persistent messages in their durable
   * queues, its durable queues and bindings on disk; after any receipt still waiting.
   */
  private receipt(f: Frame, tickets: readonly DurabilityTicket[]): void {
    const id = header(f, 'receipt')
    if (id === undefined) return
    const send = (): void => this.write('RECEIPT', [['receipt-id', id]])
    const gate = this.ctx.durability
    if (tickets.length === 0 && !this.pendingReceipts && !gate?.busy) return send()
    const chain: Promise<void> = Promise.all([
      this.pendingReceipts,
      gate?.busy === true ? gate.settled() : undefined,
      ...tickets.map((t) => t.flush()),
    ]).then(() => {
      if (this.pendingReceipts === chain) this.pendingReceipts = undefined
      if (this.state !== 'closed') send()
    })
    this.pendingReceipts = chain
    chain.catch((err: unknown) => this.fail(err, f))
  }

  // ---- delivering ----

  private writeMessage(d: Delivery, wait: Promise<void> | undefined): void {
    if (wait) this.output.holdUntil(wait)
    this.write('MESSAGE', messageHeaders(d, this.version), d.entry.message.body)
  }

  private write(command: string, headers: Headers, body?: Buffer): void {
    this.output.write(encodeFrame(command, headers, body, this.version !== '1.0'))
  }

  // ---- ending ----

  private fail(err: unknown, f: Frame | undefined): void {
    if (this.state === 'closed') return
    const [title, details] = describe(err)
    if (err instanceof StompError || err instanceof BrokerError)
      this.logger.warn(`STOMP error: ${title}: ${details}`)
    else this.logger.error({ err }, 'STOMP connection failed')
    const receipt = f && header(f, 'receipt')
    const headers = errorHeaders(
      title,
      ...(receipt === undefined ? [] : [['receipt-id', receipt] as [string, string]]),
    )
    this.write('ERROR', headers, Buffer.from(details))
    if (err instanceof StompError && !err.fatal && this.state === 'open') return
    this.close(`${title}: ${details}`)
  }

  /** The broker is stopping, or an operator closed the connection (management API). */
  forceClose(reason?: string): void {
    if (this.state === 'open')
      this.write('ERROR', errorHeaders('Connection closed'), Buffer.from(reason ?? 'broker shutdown'))
    this.close(reason ?? 'broker shutdown')
  }

  close(reason: string): void {
    if (this.state === 'closed') return
    const wasOpen = this.state === 'open'
    this.state = 'closed'
    this.heartbeats.stop()
    this.stopWaitingForAlarms?.()
    this.session?.close()
    this.channels.clear()
    this.untrack?.()
    this.output.close()
    this.socket.end()
    this.ctx.clock.setTimeout(() => this.socket.destroy(), 1000).unref?.()
    if (wasOpen) this.logger.info({ reason }, 'STOMP connection closed')
    this.onClosed(this)
  }
}
