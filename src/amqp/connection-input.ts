// What a connection reads: the protocol header, then frames, dispatched to the connection (channel 0) or
// its channels, with the spec's rules for frames that arrive while a channel or the connection closes.
// Reading pauses while anything asks it to: a handler waiting for I/O, credit flow, a resource alarm.
import type { User } from '../auth/index.js'
import type { Queue } from '../core/index.js'
import {
  FRAME,
  FrameDecoder,
  type FrameHandler,
  describeFrame,
  erlangBinary,
  type Method,
  PROTOCOL_HEADER,
  decodeMethod,
} from '../protocol/index.js'
import {
  ChannelError,
  FrameError,
  NotAllowedError,
  NotImplementedError,
  UnexpectedFrameError,
} from '../shared/index.js'
import { Channel } from './channel.js'
import type { Connection } from './connection.js'

/** The header 0-9 clients sent before 0-9-1 ("AMQP" 1 1 0 9): RabbitMQ answers it with 0-9-1. */
const LEGACY_0_9_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 9])

export class ConnectionInput implements FrameHandler {
  private readonly decoder: FrameDecoder
  private headerBytes = Buffer.alloc(0)
  /** Channels waiting for channel.close-ok after the server closed them. */
  private readonly closingChannels = new Set<number>()
  private readPauses = 0
  /** Queues this publisher waits for (credit flow): one hold per queue at a time. */
  private readonly heldBy = new Set<Queue>()

  constructor(private readonly conn: Connection) {
    this.decoder = new FrameDecoder(this, conn.ctx.settings.frameMax)
  }

  set maxFrameSize(size: number) {
    this.decoder.maxFrameSize = size
  }

  onData(chunk: Buffer): void {
    try {
      if (this.conn.state === 'header') chunk = this.readProtocolHeader(chunk)
      if (chunk.length > 0 && this.conn.state !== 'closed') this.decoder.push(chunk)
    } catch (err) {
      this.conn.fail(err, 0, undefined)
    }
  }

  /** The server closed `channel`: until close-ok, its frames are discarded (spec 2.3.5). */
  channelClosing(channel: number): void {
    this.closingChannels.add(channel)
  }

  // ---- reading paused ----

  pauseReading(): void {
    if (this.readPauses++ === 0) this.conn.socket.pause()
  }

  resumeReading(): void {
    if (this.readPauses > 0 && --this.readPauses === 0) this.conn.socket.resume()
  }

  /** While reading is paused the client's heartbeats cannot be seen, so they are not expected. */
  get readingPaused(): boolean {
    return this.readPauses > 0
  }

  /** Credit flow: stop reading this publisher until `q` has caught up. */
  holdFor(q: Queue): void {
    if (this.heldBy.has(q)) return
    this.heldBy.add(q)
    this.pauseReading()
    q.whenDrained(() => {
      this.heldBy.delete(q)
      this.resumeReading()
    })
  }

  // ---- the protocol header ----

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
    this.conn.state = 'handshake'
    this.conn.handshake.sendStart()
    return chunk.subarray(need)
  }

  /** A wrong protocol header gets the header we speak, then the socket closes (spec 4.2.2). */
  private refuseHeader(): void {
    this.conn.logger.info('client sent an unsupported protocol header; replied with AMQP 0-9-1 and closed')
    this.conn.state = 'closed'
    this.conn.socket.end(PROTOCOL_HEADER)
  }

  // ---- frames ----

  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (this.conn.state === 'closed') return
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
    if (this.conn.state === 'handshake' && channel !== 0)
      throw new UnexpectedFrameError(describeFrame(FRAME.METHOD, buf.subarray(start, end)))
    if (end - start < 4)
      throw new FrameError(`${describeFrame(FRAME.METHOD, buf.subarray(start, end))}: cannot decode`)
    const classId = ((buf[start] as number) << 8) | (buf[start + 1] as number)
    const methodId = ((buf[start + 2] as number) << 8) | (buf[start + 3] as number)
    let method: Method | undefined
    try {
      method = decodeMethod(this.conn.ctx.codec.reader.reset(buf, start + 4, end), classId, methodId)
    } catch {
      const err = new FrameError(`cannot decode ${erlangBinary(buf.subarray(start + 4, end))}`)
      return this.conn.fail(err, 0, [classId, methodId])
    }
    if (!method) {
      const err = new NotImplementedError(`unknown method class ${classId} method ${methodId}`)
      return this.conn.fail(err, 0, [classId, methodId])
    }
    try {
      this.dispatchMethod(channel, method, classId, methodId)
    } catch (err) {
      this.conn.fail(err, channel, [classId, methodId])
    }
  }

  private dispatchMethod(channel: number, method: Method, classId: number, methodId: number): void {
    if (this.conn.state === 'closing') return this.onMethodWhileClosing(channel, method)
    if (channel === 0) return this.onConnectionMethod(method)
    if (this.closingChannels.has(channel)) return this.onMethodWhileChannelClosing(channel, method)
    const ch = this.conn.channels.get(channel)
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
      .catch((err: unknown) => this.conn.fail(err, channel, method))
      .finally(() => {
        if (this.conn.state === 'closed') return
        this.resumeReading()
        try {
          this.decoder.resume()
        } catch (err) {
          this.conn.fail(err, 0, undefined)
        }
      })
  }

  private onContentFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (this.conn.state === 'closing' || this.closingChannels.has(channel)) return
    if (channel === 0 || this.conn.state !== 'open')
      throw new UnexpectedFrameError(describeFrame(type, buf.subarray(start, end)))
    const ch = this.conn.channels.get(channel)
    if (!ch) throw new ChannelError(`expected 'channel.open'`)
    try {
      if (type === FRAME.HEADER) ch.content.onHeaderFrame(buf, start, end)
      else ch.content.onBodyFrame(buf, start, end)
    } catch (err) {
      this.conn.fail(err, channel, ch.content.pendingMethodIds())
    }
  }

  // ---- methods on channel 0, and while closing ----

  private onConnectionMethod(m: Method): void {
    if (this.conn.state === 'handshake') return this.conn.handshake.onMethod(m)
    switch (m.name) {
      case 'connection.close':
        return this.answerClose()
      case 'connection.close-ok':
        return this.conn.terminate()
      case 'connection.update-secret':
        this.conn.send(0, { name: 'connection.update-secret-ok' })
        return
      case 'connection.blocked':
      case 'connection.unblocked':
        return // clients may echo these; nothing to do
      default:
        throw new ChannelError('unexpected method in connection state running')
    }
  }

  private answerClose(): void {
    this.conn.send(0, { name: 'connection.close-ok' })
    this.conn.output.flush()
    this.conn.terminate()
  }

  private onMethodWhileClosing(channel: number, m: Method): void {
    if (channel !== 0) return
    if (m.name === 'connection.close-ok') this.conn.terminate()
    else if (m.name === 'connection.close') this.answerClose()
  }

  /** After the server closed a channel, everything on it but close/close-ok is discarded (spec 2.3.5). */
  private onMethodWhileChannelClosing(channel: number, m: Method): void {
    if (m.name === 'channel.close-ok') this.closingChannels.delete(channel)
    else if (m.name === 'channel.close') {
      this.closingChannels.delete(channel)
      this.conn.send(channel, { name: 'channel.close-ok' })
    }
  }

  /**
   * RabbitMQ accepts any channel number and enforces channel_max as the number of channels open at
   * once; so does Warren. Then the user's max-channels, counted over all its connections.
   */
  private openChannel(id: number, existing: Channel | undefined): void {
    if (existing) throw new ChannelError(`second 'channel.open' seen`)
    const { channels, channelMax } = this.conn
    if (channels.size >= channelMax) {
      const err = new NotAllowedError(
        `number of channels opened (${channels.size}) has reached the negotiated channel_max (${channelMax})`,
      )
      err.method = [0, 0] // as RabbitMQ reports it
      throw err
    }
    // The user's limits as they are now (the user may have been replaced since the connection opened).
    const user = (this.conn.user as User).name
    const limits = this.conn.ctx.users.users.get(user)?.limits
    const untrack = this.conn.ctx.broker.tracking.channelOpened(user, limits)
    channels.set(id, new Channel(this.conn, id, untrack))
    this.conn.send(id, { name: 'channel.open-ok' })
  }
}
