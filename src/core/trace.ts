// The firehose tracer (rabbitmq_tracing's core part): while tracing is on for a vhost, every publish
// and every delivery is also published to its amq.rabbitmq.trace topic exchange, with RabbitMQ's routing
// keys (publish.<exchange>, deliver.<queue>) and headers. Messages that come from the trace exchange are
// never traced again.
import { type FieldTable, type FieldValue, TypedValue } from '../shared/index.js'
import { publishRoutingKeys } from './dead-letter.js'
import { Message } from './message.js'

export const TRACE_EXCHANGE = 'amq.rabbitmq.trace'

export interface TraceOrigin {
  readonly connection: string
  readonly channel: number
  readonly user: string
}

/** The original message's facts, as RabbitMQ's msg_to_table writes them. */
function messageTable(msg: Message, node: string): FieldTable {
  const p = msg.properties
  const props: FieldTable = {}
  const put = (k: string, v: FieldValue | undefined): void => {
    if (v !== undefined) props[k] = v
  }
  put('content_type', p.contentType)
  put('content_encoding', p.contentEncoding)
  put('headers', p.headers)
  put('delivery_mode', p.deliveryMode === undefined ? undefined : new TypedValue('B', p.deliveryMode))
  put('priority', p.priority === undefined ? undefined : new TypedValue('B', p.priority))
  put('correlation_id', p.correlationId)
  put('reply_to', p.replyTo)
  put('expiration', p.expiration)
  put('message_id', p.messageId)
  put('timestamp', p.timestamp)
  put('type', p.type)
  put('user_id', p.userId)
  put('app_id', p.appId)
  put('cluster_id', p.clusterId)
  return { exchange_name: msg.exchange, routing_keys: publishRoutingKeys(msg), properties: props, node }
}

/** The trace of a publish, or undefined when `msg` itself came from the trace exchange. */
export function publishTrace(
  vhost: string,
  msg: Message,
  routedQueues: readonly string[],
  o: TraceOrigin,
  node: string,
  now: number,
): Message | undefined {
  if (msg.exchange === TRACE_EXCHANGE) return undefined
  const headers: FieldTable = {
    ...messageTable(msg, node),
    vhost,
    connection: o.connection,
    channel: o.channel,
    user: o.user,
    routed_queues: [...routedQueues],
  }
  return new Message(TRACE_EXCHANGE, `publish.${msg.exchange}`, { headers }, msg.body, undefined, now)
}

/** The trace of a delivery (basic.deliver or basic.get-ok) from `queue`. */
export function deliverTrace(
  vhost: string,
  queue: string,
  redelivered: boolean,
  msg: Message,
  o: TraceOrigin,
  node: string,
  now: number,
): Message | undefined {
  if (msg.exchange === TRACE_EXCHANGE) return undefined
  const headers: FieldTable = {
    ...messageTable(msg, node),
    redelivered: redelivered ? 1 : 0,
    vhost,
    connection: o.connection,
    channel: o.channel,
    user: o.user,
  }
  return new Message(TRACE_EXCHANGE, `deliver.${queue}`, { headers }, msg.body, undefined, now)
}
