// A CONNECT's login as RabbitMQ's MQTT plugin does it: credentials from the packet, or the default user
// for an anonymous client (mqtt.allow_anonymous); the vhost from a `vhost:user` username (split at the
// last colon), else mqtt.vhost; then the password, the loopback-only users, the connection limits and
// access to the vhost, each refused with its CONNACK return code.
import type { User } from '../auth/index.js'
import type { VHost } from '../core/index.js'
import { BrokerError, isLoopback } from '../shared/index.js'
import type { MqttContext } from './context.js'
import { CONNACK, type ConnectPacket } from './packets.js'

export type Login =
  | { readonly ok: true; readonly vhost: VHost; readonly user: User }
  | { readonly ok: false; readonly code: number; readonly reason: string }

const refused = (code: number, reason: string): Login => ({ ok: false, code, reason })

export function login(ctx: MqttContext, p: ConnectPacket, remoteAddress: string): Login {
  const creds = credentials(ctx, p)
  if (!creds) return count(ctx, refused(CONNACK.BAD_USERNAME_OR_PASSWORD, 'no or incomplete credentials'))
  const [vhostName, username] = splitVhost(creds.username, ctx.settings.vhost)
  const vhost = ctx.broker.vhosts.get(vhostName)
  if (!vhost)
    return count(ctx, refused(CONNACK.BAD_USERNAME_OR_PASSWORD, `virtual host '${vhostName}' does not exist`))
  const user = ctx.users.authenticate(username, creds.password)
  if (!user)
    return count(ctx, refused(CONNACK.BAD_USERNAME_OR_PASSWORD, `authentication failed for '${username}'`))
  if (ctx.settings.loopbackUsers.includes(user.name) && !isLoopback(remoteAddress))
    return count(ctx, refused(CONNACK.NOT_AUTHORIZED, `user '${user.name}' can only connect via localhost`))
  try {
    ctx.broker.tracking.checkConnection(vhost, user.name, user.limits)
  } catch (err) {
    if (!(err instanceof BrokerError)) throw err
    return count(ctx, refused(CONNACK.NOT_AUTHORIZED, err.message))
  }
  if (!ctx.users.permission(user.name, vhost.name))
    return count(
      ctx,
      refused(CONNACK.NOT_AUTHORIZED, `access to vhost '${vhost.name}' refused for '${user.name}'`),
    )
  return count(ctx, { ok: true, vhost, user })
}

/** RabbitMQ counts MQTT logins for Prometheus (rabbitmq_auth_attempts_*) under the protocol 'mqtt'. */
function count(ctx: MqttContext, l: Login): Login {
  ctx.broker.authAttempts.record('mqtt', l.ok)
  return l
}

function credentials(ctx: MqttContext, p: ConnectPacket): { username: string; password: string } | undefined {
  if (p.username !== undefined && p.password !== undefined)
    return { username: p.username, password: p.password.toString('utf8') }
  if (p.username !== undefined || p.password !== undefined || !ctx.settings.allowAnonymous) return undefined
  return { username: ctx.settings.defaultUser, password: ctx.settings.defaultPass }
}

/** `vhost:user` names its vhost; the split is at the last colon, as RabbitMQ's. */
function splitVhost(username: string, defaultVhost: string): [string, string] {
  const at = username.lastIndexOf(':')
  return at < 0 ? [defaultVhost, username] : [username.slice(0, at), username.slice(at + 1)]
}
