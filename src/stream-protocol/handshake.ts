// The opening of a Stream-protocol connection: peer properties, SASL (PLAIN, with Warren's users), tune,
// open (vhost access), and the commands allowed at any time (close, heartbeat, command versions).
import { parsePlain } from '../auth/index.js'
import { Session } from '../core/index.js'
import { isLoopback } from '../shared/index.js'
import { CODE, COMMAND_VERSIONS, KEY } from './constants.js'
import type { StreamConnection } from './connection.js'
import type { FrameReader } from './frame-reader.js'
import { FrameWriter, response } from './frame-writer.js'
import type { Ctx } from './handlers.js'

/**
 * The RabbitMQ version announced in peer properties. Clients enable commands by it (super-stream
 * creation needs 3.13), and Warren's Stream front end speaks 3.13's command set.
 */
export const STREAM_PROTOCOL_RABBITMQ_VERSION = '3.13.0'

function expectStep(c: StreamConnection, step: StreamConnection['step'], what: string): boolean {
  if (c.step === step) return true
  c.fail(CODE.unknownFrame, `unexpected ${what} during the handshake (expected ${c.step})`)
  return false
}

export function onPeerProperties(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  if (!expectStep(c, 'peer-properties', 'peer properties')) return
  c.clientProperties = r.map()
  const props: Array<[string, string]> = [
    ['product', 'Warren'],
    ['version', STREAM_PROTOCOL_RABBITMQ_VERSION],
    ['platform', `Node.js ${process.version}`],
    ['cluster_name', c.server.o.settings.nodeName],
    ['copyright', 'Warren contributors'],
    ['information', 'Warren, a RabbitMQ-compatible broker, licensed under the MIT license'],
  ]
  c.send(response(KEY.peerProperties, ctx.correlationId, CODE.ok).map(props).frame())
  c.step = 'sasl-handshake'
}

export function onSaslHandshake(c: StreamConnection, _r: FrameReader, ctx: Ctx): void {
  if (!expectStep(c, 'sasl-handshake', 'SASL handshake')) return
  c.send(response(KEY.saslHandshake, ctx.correlationId, CODE.ok).strings(['PLAIN']).frame())
  c.step = 'sasl-authenticate'
}

export function onSaslAuthenticate(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  if (!expectStep(c, 'sasl-authenticate', 'SASL authenticate')) return
  const mechanism = r.string()
  const data = r.bytes()
  if (mechanism !== 'PLAIN')
    return c.respond(KEY.saslAuthenticate, ctx.correlationId, CODE.saslMechanismNotSupported)
  const o = c.server.o
  const creds = parsePlain(Buffer.from(data))
  const user = creds && o.users.authenticate(creds.username, creds.password)
  const loopbackOnly =
    user !== undefined && o.settings.loopbackUsers.includes(user.name) && !isLoopback(c.remoteAddress)
  o.broker.authAttempts.record('stream', user !== undefined && !loopbackOnly)
  if (!user || loopbackOnly) {
    c.logger.warn(
      { user: creds?.username },
      loopbackOnly
        ? 'login refused: user can only connect via localhost'
        : 'login refused: invalid credentials',
    )
    c.respond(
      KEY.saslAuthenticate,
      ctx.correlationId,
      loopbackOnly ? CODE.authenticationFailureLoopback : CODE.authenticationFailure,
    )
    return c.drop()
  }
  c.user = user.name
  c.respond(KEY.saslAuthenticate, ctx.correlationId, CODE.ok)
  const s = o.settings
  c.send(new FrameWriter(KEY.tune).u32(s.frameMax).u32(s.heartbeat).frame())
  c.step = 'tune'
}

/** The client's answer to our tune: the smaller non-zero frame max, and its heartbeat. */
export function onTune(c: StreamConnection, r: FrameReader): void {
  if (!expectStep(c, 'tune', 'tune')) return
  const frameMax = r.u32()
  const heartbeat = r.u32()
  const ours = c.server.o.settings.frameMax
  c.frameMax = ours === 0 ? frameMax : frameMax === 0 ? ours : Math.min(ours, frameMax)
  c.step = 'open'
  c.startHeartbeats(heartbeat)
}

export function onOpen(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  if (!expectStep(c, 'open', 'open')) return
  const vhostName = r.string()
  const o = c.server.o
  const vhost = o.broker.vhosts.get(vhostName)
  if (!vhost || !o.users.permission(c.user, vhostName)) {
    c.logger.warn({ user: c.user, vhost: vhostName }, 'vhost access refused')
    c.respond(KEY.open, ctx.correlationId, CODE.virtualHostAccessFailure)
    return c.drop()
  }
  c.vhost = vhost
  c.session = new Session({
    vhost,
    user: c.user,
    authz: o.authz,
    connection: c.name,
    channel: 0,
    node: o.settings.nodeName,
    maxMessageSize: o.settings.maxMessageSize,
  })
  c.step = 'opened'
  const props: Array<[string, string]> = [
    ['advertised_host', c.server.advertisedHost],
    ['advertised_port', String(c.server.advertisedPort)],
  ]
  c.send(response(KEY.open, ctx.correlationId, CODE.ok).map(props).frame())
}

export function onClose(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  r.u16() // closing code
  r.string() // reason
  c.closedByClient(ctx.correlationId)
}

export function onExchangeCommandVersions(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const n = r.count(6)
  for (let i = 0; i < n * 3; i++) r.u16() // the client's key, min, max: ours are fixed
  const w = response(KEY.exchangeCommandVersions, ctx.correlationId, CODE.ok).i32(COMMAND_VERSIONS.length)
  for (const [key, min, max] of COMMAND_VERSIONS) w.u16(key).u16(min).u16(max)
  c.send(w.frame())
}
