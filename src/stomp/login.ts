// A CONNECT's login as RabbitMQ's STOMP plugin does it: login and passcode headers (or the default user
// when both are missing and anonymous logins are allowed), the vhost from the host header (else
// stomp.default_vhost), then the password, the loopback-only users, the connection limits and access to
// the vhost. A refusal is RabbitMQ's "Bad CONNECT" ERROR frame with its reason.
import type { User } from '../auth/index.js'
import type { VHost } from '../core/index.js'
import { BrokerError, isLoopback } from '../shared/index.js'
import type { StompContext } from './context.js'
import { type Frame, header, StompError } from './frame.js'

export interface LoggedIn {
  readonly vhost: VHost
  readonly user: User
}

/** Logs a CONNECT in, or throws the StompError its ERROR frame says. */
export function login(ctx: StompContext, f: Frame, remoteAddress: string): LoggedIn {
  try {
    const result = check(ctx, f, remoteAddress)
    ctx.broker.authAttempts.record('stomp', true)
    return result
  } catch (err) {
    ctx.broker.authAttempts.record('stomp', false)
    throw err
  }
}

function check(ctx: StompContext, f: Frame, remoteAddress: string): LoggedIn {
  const creds = credentials(ctx, f)
  const vhostName = header(f, 'host') ?? ctx.settings.vhost
  const user = ctx.users.authenticate(creds.username, creds.password)
  if (!user) throw bad(`Access refused for user '${creds.username}'\n`)
  const vhost = ctx.broker.vhosts.get(vhostName)
  if (!vhost || !ctx.users.permission(user.name, vhost.name))
    throw bad(`Virtual host '${vhostName}' access denied`)
  if (ctx.settings.loopbackUsers.includes(user.name) && !isLoopback(remoteAddress))
    throw bad(`user '${user.name}' can only connect via localhost`)
  try {
    ctx.broker.tracking.checkConnection(vhost, user.name, user.limits)
  } catch (err) {
    if (!(err instanceof BrokerError)) throw err
    throw bad(err.message)
  }
  return { vhost, user }
}

const bad = (details: string): StompError => new StompError('Bad CONNECT', details)

function credentials(ctx: StompContext, f: Frame): { username: string; password: string } {
  const username = header(f, 'login')
  const password = header(f, 'passcode')
  if (username !== undefined && password !== undefined) return { username, password }
  if (username === undefined && password === undefined && ctx.settings.allowAnonymous)
    return { username: ctx.settings.defaultUser, password: ctx.settings.defaultPass }
  throw bad(`Access refused for user '${username ?? ''}'\n`)
}
