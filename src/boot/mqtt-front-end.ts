// The MQTT front end as boot wires it: RabbitMQ's MQTT plugin settings from the configuration, and the
// retained messages kept in the data directory when there is one.
import { join, resolve } from 'node:path'
import type { PermissionAuthorizer, UserRegistry } from '../auth/index.js'
import type { WarrenConfig } from '../config/index.js'
import type { Broker } from '../core/index.js'
import { MqttCounters, MqttServer, RetainedStore } from '../mqtt/index.js'
import type { Clock, Logger } from '../shared/index.js'
import type { Persistence } from './persistence.js'

export interface MqttParts {
  broker: Broker
  authz: PermissionAuthorizer
  users: UserRegistry
  logger: Logger
  clock: Clock
  persistence: Persistence | undefined
  nodeName: string
  /** Retained messages are kept in the data directory, beside the queues. */
  stored: boolean
}

/** The MQTT front end, with RabbitMQ's MQTT plugin settings. */
export function createMqtt(config: WarrenConfig, p: MqttParts): MqttServer {
  const retainedDir = p.stored ? join(resolve(config.dataDir), 'mqtt') : undefined
  return new MqttServer({
    broker: p.broker,
    authz: p.authz,
    users: p.users,
    logger: p.logger,
    clock: p.clock,
    durability: p.persistence,
    retained: new RetainedStore(retainedDir),
    nodeName: p.nodeName,
    counters: new MqttCounters(),
    settings: {
      exchange: config.mqttExchange,
      vhost: config.mqttVhost,
      allowAnonymous: config.mqttAllowAnonymous,
      defaultUser: config.defaultUser,
      defaultPass: config.defaultPass,
      prefetch: config.mqttPrefetch,
      subscriptionTtl: config.mqttSubscriptionTtl,
      loopbackUsers: config.loopbackUsers,
      topicAliasMaximum: config.mqttTopicAliasMaximum,
      connectTimeout: 10,
    },
  })
}
