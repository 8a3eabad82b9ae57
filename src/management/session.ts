// The HTTP API's publish and get run through a core Session, as an AMQP channel's do, so the checks,
// counters and tracing are the same; one short-lived session per request.
import { Session, type VHost } from '../core/index.js'
import { NotAllowedError } from '../shared/index.js'
import { accessRefused } from './http-errors.js'
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

/**
 * RabbitMQ's management plugin publishes, gets and runs the aliveness test over a direct AMQP connection
 * as the caller, so the vhost's and the user's max-connections and the user's max-channels apply to
 * them: when one is reached the request is refused with 401 "Access refused." (RabbitMQ 3.10 answers 500
 * for max-channels). Nothing is counted: the request holds no connection once answered.
 */
export function checkDirectConnection(c: Call, v: VHost): void {
  const tracking = c.ctx.broker.tracking
  try {
    tracking.checkConnection(v, c.user.name, c.user.limits)
    tracking.checkChannel(c.user.name, c.user.limits)
  } catch (err) {
    throw err instanceof NotAllowedError ? accessRefused() : err
  }
}
