// The AMQP 0-9-1 front end: server, connections, channels.
export { AmqpServer } from './server.js'
export { Connection } from './connection.js'
export { Channel } from './channel.js'
export type { AmqpContext, AmqpSettings } from './context.js'
export { serverProperties, WARREN_VERSION, RABBITMQ_COMPAT_VERSION } from './server-properties.js'
