// The HTTP API's publish and get run through a core Session, as an AMQP channel's do, so the checks,
// counters and tracing are the same; one short-lived session per request.
import { Session, type VHost } from '../core/index.js'
import type { Call } from './server.js'

export function httpSession(c: Call, v: VHost): Session {
  return new Session({
    vhost: v,
    user: c.user.name,
    authz: c.ctx.authz,
    // What the firehose tracer records as the publisher's connection and channel.
    connection: 'HTTP API',
    channel: 0,
    node: c.ctx.nodeName,
    maxMessageSize: c.ctx.broker.limits.maxMessageSize,
  })
}
