// A SEND's headers as AMQP properties and a delivery's properties as MESSAGE headers, as RabbitMQ's STOMP
// plugin maps them: content-type, content-encoding, persistent (delivery mode 2), priority, correlation-id,
// reply-to, expiration, amqp-message-id (message_id), timestamp, type, user-id and app-id are properties;
// every other header a client sends is an AMQP header (a string), and AMQP headers come back as headers
// when they are strings or signed 32- or 64-bit integers.
import type { Message } from '../core/index.js'
import { type BasicProperties, type FieldTable, type FieldValue, TypedValue } from '../shared/index.js'
import type { Headers } from './frame.js'
import { StompError } from './frame.js'

/**
 * Headers of a SEND that steer the frame itself rather than describe the message. RabbitMQ keeps the
 * frame's `receipt` and `content-length` as AMQP headers, so they are not among them.
 */
const FRAME_ONLY = new Set(['destination', 'transaction'])

type PropertySetter = (p: BasicProperties, v: string) => void

const TO_PROPERTY: Readonly<Record<string, PropertySetter>> = {
  'content-type': (p, v) => void (p.contentType = v),
  'content-encoding': (p, v) => void (p.contentEncoding = v),
  persistent: (p, v) => void (p.deliveryMode = v === 'true' ? 2 : 1),
  priority: (p, v) => void (p.priority = integer('priority', v)),
  'correlation-id': (p, v) => void (p.correlationId = v),
  'reply-to': (p, v) => void (p.replyTo = v),
  expiration: (p, v) => void (p.expiration = v),
  'amqp-message-id': (p, v) => void (p.messageId = v),
  timestamp: (p, v) => void (p.timestamp = integer('timestamp', v)),
  type: (p, v) => void (p.type = v),
  'user-id': (p, v) => void (p.userId = v),
  'app-id': (p, v) => void (p.appId = v),
}

function integer(name: string, v: string): number {
  if (!/^\d{1,15}$/.test(v))
    throw new StompError('Invalid header', `header '${name}' must be a number, was '${v}'`)
  return Number(v)
}

/** The AMQP properties of a SEND (its first value of each header counts). */
export function toAmqpProperties(headers: Headers): BasicProperties {
  const props: BasicProperties = {}
  const table: FieldTable = {}
  const seen = new Set<string>()
  for (const [k, v] of headers) {
    if (seen.has(k) || FRAME_ONLY.has(k)) continue
    seen.add(k)
    const set = TO_PROPERTY[k]
    if (set) set(props, v)
    else table[k] = v
  }
  if (Object.keys(table).length > 0) props.headers = table
  return props
}

/** A delivery's headers after the frame's own (subscription, destination, message-id...). */
export function toStompHeaders(msg: Message): Array<[string, string]> {
  const p = msg.properties
  const out: Array<[string, string]> = []
  for (const [k, v] of Object.entries(p.headers ?? {})) {
    const text = headerText(v)
    if (text !== undefined && !TO_PROPERTY[k] && !RESERVED_ON_DELIVERY.has(k)) out.push([k, text])
  }
  const add = (k: string, v: string | number | undefined): void => {
    if (v !== undefined) out.push([k, String(v)])
  }
  add('reply-to', p.replyTo)
  add('priority', p.priority)
  // RabbitMQ writes delivery mode 2 as `true` and any other as its number (an MQTT QoS 0 message: 1).
  add('persistent', p.deliveryMode === 2 ? 'true' : p.deliveryMode)
  add('content-type', p.contentType)
  add('content-encoding', p.contentEncoding)
  add('correlation-id', p.correlationId)
  add('expiration', p.expiration)
  add('amqp-message-id', p.messageId)
  add('timestamp', p.timestamp)
  add('type', p.type)
  add('user-id', p.userId)
  add('app-id', p.appId)
  return out
}

/** Headers a delivery sets itself: an AMQP header of that name would clash with them. */
const RESERVED_ON_DELIVERY = new Set([
  'subscription',
  'destination',
  'message-id',
  'redelivered',
  'ack',
  'content-length',
])

/**
 * An AMQP header value as text, as RabbitMQ 3.10 writes them: only strings and 32- and 64-bit signed
 * integers (longstr, signedint, long) become headers; booleans, the other number types, timestamps,
 * tables and arrays are left out (so an MQTT message's x-mqtt-publish-qos byte and x-mqtt-dup are too).
 */
function headerText(v: FieldValue): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : undefined
  if (typeof v === 'bigint') return String(v)
  if (v instanceof TypedValue) return v.type === 'l' ? String(v.value) : undefined
  if (Buffer.isBuffer(v)) return v.toString('utf8')
  return undefined
}
