// An MQTT publish as the core's message properties, and back, as RabbitMQ maps them: the QoS in
// delivery_mode and the x-mqtt-publish-qos header, DUP in x-mqtt-dup; for MQTT 5, the message expiry
// interval as the expiration (ms), content type, correlation data as correlation_id (when it is short
// UTF-8), the response topic as reply_to (a routing key), and user properties as headers.
import type { Message } from '../core/index.js'
import { type BasicProperties, type FieldTable, TypedValue } from '../shared/index.js'
import type { Properties } from './properties.js'
import { toAmqp, toMqtt } from './topics.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The x-mqtt-publish-qos header's values (immutable, so one of each serves every message). */
const PUBLISH_QOS = [new TypedValue('b', 0), new TypedValue('b', 1)] as const

export function toAmqpProperties(qos: 0 | 1, dup: boolean, p: Properties | undefined): BasicProperties {
  const headers: FieldTable = {}
  for (const [k, v] of p?.userProperties ?? []) headers[k] = v
  headers['x-mqtt-publish-qos'] = PUBLISH_QOS[qos]
  headers['x-mqtt-dup'] = dup
  const props: BasicProperties = { headers, deliveryMode: qos === 1 ? 2 : 1 }
  if (!p) return props
  if (p.messageExpiry !== undefined) props.expiration = String(p.messageExpiry * 1000)
  if (p.contentType !== undefined) props.contentType = p.contentType
  if (p.responseTopic !== undefined) props.replyTo = toAmqp(p.responseTopic)
  const correlation = p.correlationData && shortText(p.correlationData)
  if (correlation !== undefined) props.correlationId = correlation
  return props
}

/** An MQTT 5 delivery's properties from the message, whoever published it. */
export function toMqttProperties(msg: Message): Properties {
  const m = msg.properties
  const out: Properties = {}
  if (m.contentType !== undefined) out.contentType = m.contentType
  if (m.replyTo !== undefined) out.responseTopic = toMqtt(m.replyTo)
  if (m.correlationId !== undefined) out.correlationData = Buffer.from(m.correlationId)
  const user: Array<[string, string]> = []
  for (const [k, v] of Object.entries(m.headers ?? {}))
    if (typeof v === 'string' && !k.startsWith('x-mqtt-')) user.push([k, v])
  if (user.length > 0) out.userProperties = user
  return out
}

function shortText(b: Buffer): string | undefined {
  if (b.length > 255) return undefined
  try {
    return utf8.decode(b)
  } catch {
    return undefined
  }
}
