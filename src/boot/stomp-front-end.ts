// The STOMP front end as boot wires it: RabbitMQ's STOMP plugin settings from the configuration.
import { WARREN_VERSION } from '../amqp/index.js'
import type { WarrenConfig } from '../config/index.js'
import { StompServer, stompCounters } from '../stomp/index.js'
import type { MqttParts } from './mqtt-front-end.js'

/** The STOMP front end, with RabbitMQ's STOMP plugin settings. */
export function createStomp(config: WarrenConfig, p: MqttParts): StompServer {
  return new StompServer({
    broker: p.broker,
    authz: p.authz,
    users: p.users,
    logger: p.logger,
    clock: p.clock,
    durability: p.persistence,
    nodeName: p.nodeName,
    counters: stompCounters(),
    settings: {
      vhost: config.stompVhost,
      allowAnonymous: config.stompAllowAnonymous,
      defaultUser: config.defaultUser,
      defaultPass: config.defaultPass,
      loopbackUsers: config.loopbackUsers,
      connectTimeout: 10,
      server: `Warren/${WARREN_VERSION}`,
    },
  })
}
