// The server-properties table of connection.start. Clients detect features from `capabilities`;
// several (amqplib among them) also read `product`, so Warren presents itself as RabbitMQ-compatible
// and names itself in `platform` and `information`. See docs/compatibility.md.
import type { FieldTable } from '../shared/index.js'

export const WARREN_VERSION = '0.1.0'
/** The RabbitMQ release whose behaviour Warren follows. */
export const RABBITMQ_COMPAT_VERSION = '3.10.8'

export function serverProperties(clusterName: string): FieldTable {
  return {
    product: 'RabbitMQ',
    version: RABBITMQ_COMPAT_VERSION,
    platform: `Node.js ${process.version} (Warren ${WARREN_VERSION})`,
    copyright: 'Warren contributors',
    information: 'Warren: a RabbitMQ-compatible AMQP 0-9-1 broker. Licensed under the MIT license.',
    cluster_name: clusterName,
    capabilities: {
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    },
  }
}
