// The connection handshake: start → start-ok (SASL) → tune → tune-ok → open. Parameters are negotiated
// as RabbitMQ does: the client's tune-ok values win when they are within the server's limits, 0 meaning
// "no limit" (channel_max/frame_max) or "no heartbeats".
import { MECHANISMS, parseAmqplain, parsePlain } from '../auth/index.js'
import { FRAME, type Method } from '../protocol/index.js'
import {
  AccessRefusedError,
  CommandInvalidError,
  type FieldTable,
  isLoopback,
  NotAllowedError,
  UnexpectedFrameError,
  type TimerHandle,
} from '../shared/index.js'
import type { Connection } from './connection.js'

type Step = 'start-ok' | 'tune-ok' | 'open'

export class Handshake {
  private step: Step = 'start-ok'
  private username = ''
  private timer: TimerHandle | undefined

  constructor(private readonly conn: Connection) {}

  startTimer(): void {
    const ms = this.conn.ctx.settings.handshakeTimeout * 1000
    this.timer = this.conn.ctx.clock.setTimeout(() => {
      this.conn.logger.warn('handshake timed out, closing connection')
      this.conn.terminate()
    }, ms)
    this.timer.unref?.()
  }

  stopTimer(): void {
    if (this.timer) this.conn.ctx.clock.clearTimeout(this.timer)
  }

  sendStart(): void {
    this.conn.send(0, {
      name: 'connection.start',
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: this.conn.ctx.serverProperties,
      mechanisms: MECHANISMS.join(' '),
      locales: 'en_US',
    })
  }

  onMethod(m: Method): void {
    const expected = `connection.${this.step}`
    if (m.name !== expected) {
      throw new UnexpectedFrameError(`expected '${expected}' during the handshake, got '${m.name}'`)
    }
    if (m.name === 'connection.start-ok')
      this.onStartOk(m.mechanism, toBuffer(m.response), m.clientProperties)
    else if (m.name === 'connection.tune-ok') this.onTuneOk(m.channelMax, m.frameMax, m.heartbeat)
    else if (m.name === 'connection.open') this.onOpen(m.virtualHost)
  }

  private onStartOk(mechanism: string, response: Buffer, clientProperties: FieldTable): void {
    this.conn.clientProperties = clientProperties
    const parse = mechanism === 'PLAIN' ? parsePlain : mechanism === 'AMQPLAIN' ? parseAmqplain : undefined
    if (!parse) throw new CommandInvalidError(`unknown authentication mechanism '${mechanism}'`)
    const creds = parse(response)
    const user = creds && this.conn.ctx.users.authenticate(creds.username, creds.password)
    const refusedLoopback = this.countAttempt(user?.name)
    if (!creds || !user) {
      this.conn.logger.warn({ user: creds?.username, mechanism }, 'login refused: invalid credentials')
      // Clients that do not announce authentication_failure_close expect the socket to just close.
      if (this.conn.clientCapabilities['authentication_failure_close'] !== true) return this.conn.terminate()
      const refused = new AccessRefusedError(
        `Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
      )
      refused.method = [0, 0] // RabbitMQ names no method in this close
      throw refused
    }
    if (refusedLoopback) {
      this.conn.logger.warn({ user: user.name }, 'login refused: user can only connect via localhost')
      throw new AccessRefusedError(`user '${user.name}' can only connect via localhost`)
    }
    this.username = user.name
    this.step = 'tune-ok'
    const s = this.conn.ctx.settings
    this.conn.send(0, {
      name: 'connection.tune',
      channelMax: s.channelMax,
      frameMax: s.frameMax,
      heartbeat: s.heartbeat,
    })
  }

  /**
   * Counts the login for Prometheus (rabbitmq_auth_attempts_*) as RabbitMQ does: a loopback-only user
   * connecting from elsewhere is a failed attempt. Returns whether that is why this one fails.
   */
  private countAttempt(user: string | undefined): boolean {
    const ctx = this.conn.ctx
    const refusedLoopback =
      user !== undefined && ctx.settings.loopbackUsers.includes(user) && !isLoopback(this.conn.remoteAddress)
    ctx.broker.authAttempts.record('amqp091', user !== undefined && !refusedLoopback)
    return refusedLoopback
  }

  private onTuneOk(channelMax: number, frameMax: number, heartbeat: number): void {
    const s = this.conn.ctx.settings
    // 0 asks for "no limit", which a server with limits refuses, as RabbitMQ does.
    if ((frameMax === 0 && s.frameMax !== 0) || (frameMax !== 0 && frameMax < FRAME.MIN_SIZE)) {
      throw new NotAllowedError(`frame_max=${frameMax} < ${FRAME.MIN_SIZE} min size`)
    }
    if (s.frameMax !== 0 && frameMax > s.frameMax)
      throw new NotAllowedError(`frame_max=${frameMax} > ${s.frameMax} max size`)
    if (s.channelMax !== 0 && (channelMax > s.channelMax || channelMax === 0)) {
      throw new NotAllowedError(`channel_max=${channelMax} > ${s.channelMax} max size`)
    }
    this.conn.setNegotiatedFrameMax(frameMax === 0 ? s.frameMax : frameMax)
    this.conn.channelMax = channelMax === 0 ? s.channelMax || 65535 : channelMax
    this.conn.heartbeatSeconds = heartbeat
    this.step = 'open'
  }

  private onOpen(vhostName: string): void {
    const ctx = this.conn.ctx
    const vhost = ctx.broker.vhosts.get(vhostName)
    if (!vhost) throw new NotAllowedError(`vhost ${vhostName} not found`)
    const user = ctx.users.users.get(this.username)
    // The vhost's and the user's connection limits come before access to the vhost, as in RabbitMQ.
    ctx.broker.tracking.checkConnection(vhost, this.username, user?.limits)
    if (!user || !ctx.users.permission(user.name, vhostName)) {
      throw new NotAllowedError(`access to vhost '${vhostName}' refused for user '${this.username}'`)
    }
    this.stopTimer()
    this.conn.send(0, { name: 'connection.open-ok' })
    this.conn.opened(vhost, user)
  }
}

function toBuffer(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v
}
