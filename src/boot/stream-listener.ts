// The Stream protocol listener (port 5552): built from the broker's parts, opened after the AMQP one.
// Port 0 in the configuration means none; an embedded broker asked for a free AMQP port gets a free
// Stream port too unless it names one. The default port may be taken by another broker on the machine:
// then this one runs without it (said in the log), as for the Prometheus listener.
import type { AddressInfo } from 'node:net'
import type { PermissionAuthorizer, UserRegistry } from '../auth/index.js'
import type { WarrenConfig } from '../config/index.js'
import type { Broker } from '../core/index.js'
import type { Clock, Logger } from '../shared/index.js'
import { StreamServer } from '../stream-protocol/index.js'
import { listenError } from './listeners.js'

export interface StreamListenerParts {
  readonly broker: Broker
  readonly authz: PermissionAuthorizer
  readonly users: UserRegistry
  readonly logger: Logger
  readonly clock: Clock
  readonly nodeName: string
}

export function createStreamServer(config: WarrenConfig, parts: StreamListenerParts): StreamServer {
  return new StreamServer({
    ...parts,
    settings: {
      frameMax: 1_048_576,
      heartbeat: config.heartbeat,
      loopbackUsers: config.loopbackUsers,
      maxMessageSize: config.maxMessageSize,
      nodeName: parts.nodeName,
      advertisedHost: config.streamAdvertisedHost,
      advertisedPort: config.streamAdvertisedPort,
    },
  })
}

/** Opens the listener; undefined when disabled (port 0) or when the unnamed default port is taken. */
export async function listenStream(
  server: StreamServer,
  config: WarrenConfig,
  given: { amqpPort?: number | undefined; streamPort?: number | undefined },
  named: boolean,
  logger: Logger,
): Promise<AddressInfo | undefined> {
  const port = given.streamPort ?? (given.amqpPort === 0 ? 0 : config.streamPort)
  if (given.streamPort === 0 || (port === 0 && given.amqpPort !== 0)) return undefined
  try {
    return await server.listen(port, config.bind)
  } catch (err) {
    if (named || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE')
      throw listenError('Stream', err, config.bind, port)
    logger.warn(
      `Stream port ${port} is in use (another broker?): the Stream protocol is off; set stream.listeners.tcp.1 (--stream-port) to give this broker its own`,
    )
    return undefined
  }
}
