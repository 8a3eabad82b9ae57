// What a connection writes to its socket. Frames written during one event-loop turn are coalesced into a
// single socket write (flush); confirms are written just before it, so that one flush carries one
// basic.ack for many publishes. Output is held while a delivered-mark is not yet safe, and consumers are
// held while the socket is backed up.
import type { Socket } from 'node:net'
import { HEARTBEAT_FRAME, type Method, writeMethodFrame, Writer } from '../protocol/index.js'
import type { Logger } from '../shared/index.js'

/** Pending output above which consumers stop being fed until the socket drains. */
const WRITE_HIGH_WATER = 1024 * 1024

/** What the output needs of its connection. */
export interface OutputHost {
  readonly socket: Socket
  readonly logger: Logger
  /** Open: not in the handshake, not closing; held output waits only while open. */
  isOpen(): boolean
  /** Something was written: the heartbeat need not send one. */
  wroteToSocket(): void
  /** The socket drained below the high water mark after consumers were stopped. */
  resumeConsumers(): void
}

/** A channel with publisher confirms to write before the next flush. */
export interface ConfirmWriter {
  writePendingConfirms(): void
}

export class ConnectionOutput {
  readonly writer = new Writer()
  private flushScheduled = false
  /** Set when a consumer was refused for back-pressure; cleared by resuming delivery. */
  private deliveryStalled = false
  /** Made on first use: thousands of idle connections need none. */
  private outputHolds: Set<Promise<void>> | undefined
  /** Channels with confirms to write at the next flush. */
  private readonly confirming = new Set<ConfirmWriter>()
  private heldNotifications: Array<() => void> | undefined

  constructor(private readonly host: OutputHost) {
    host.socket.on('drain', () => this.resumeDelivery())
  }

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
    if (this.confirming.size > 0) {
      for (const ch of this.confirming) ch.writePendingConfirms()
      this.confirming.clear()
    }
    const socket = this.host.socket
    if (this.writer.length === 0 || socket.destroyed) return
    if (this.outputHolds !== undefined && this.host.isOpen()) return
    this.host.wroteToSocket()
    const chunks = this.writer.take()
    if (chunks.length === 1) socket.write(chunks[0] as Buffer)
    else {
      socket.cork()
      for (const c of chunks) socket.write(c)
      socket.uncork()
    }
    if (this.deliveryStalled && socket.writableLength < WRITE_HIGH_WATER)
      setImmediate(() => this.resumeDelivery())
  }

  /** `ch` has confirms to write: they go out with the next flush. */
  confirmBeforeFlush(ch: ConfirmWriter): void {
    this.confirming.add(ch)
    this.scheduleFlush()
  }

  /**
   * Nothing leaves for the client until `wait` resolves: a delivery written meanwhile must not reach the
   * consumer before its message's delivered-mark can survive a crash (see Queue.handedOut). Rare: a
   * store's delivery lease covers many deliveries ahead.
   */
  holdUntil(wait: Promise<void>): void {
    const holds = (this.outputHolds ??= new Set())
    if (holds.has(wait)) return
    holds.add(wait)
    wait
      .catch((err: unknown) => this.host.logger.error({ err }, 'a delivered-mark could not be stored'))
      .finally(() => {
        holds.delete(wait)
        if (holds.size === 0 && this.outputHolds === holds) this.outputHolds = undefined
        this.scheduleFlush()
      })
  }

  writeHeartbeat(): void {
    this.writer.bytes(HEARTBEAT_FRAME)
    this.flush()
  }

  /** Whether consumers on this connection may be handed more messages now. */
  canDeliver(): boolean {
    if (this.writer.length + this.host.socket.writableLength < WRITE_HIGH_WATER) return true
    this.deliveryStalled = true
    return false
  }

  private resumeDelivery(): void {
    if (!this.deliveryStalled || !this.host.isOpen()) return
    this.deliveryStalled = false
    this.host.resumeConsumers()
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
      if (this.host.isOpen()) for (const send of held) send()
    }
  }
}
