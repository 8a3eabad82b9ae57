// The x-delay header as the delayed-message plugin reads and rewrites it: an integer number of
// milliseconds (any integer wire type); zero, negative or non-integer values (a string, a double) mean
// "no delay". A delivered message carries the delay negated, the plugin's sign that it was delayed.
import { type FieldValue, TypedValue } from '../../../shared/index.js'
import { Message } from '../../message.js'
import type { PersistedMessage } from '../../ports.js'

const INTEGER_TYPES = new Set(['b', 'B', 's', 'u', 'i', 'l'])

/** The delay a message asks for, in ms, or undefined for one to route now. */
export function delayOf(msg: Message): number | undefined {
  const headers = msg.properties.headers
  if (headers === undefined) return undefined
  const n = integerValue(headers['x-delay'])
  return n !== undefined && n > 0 ? n : undefined
}

function integerValue(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined
  if (typeof v === 'bigint') return Number(v)
  if (v instanceof TypedValue && INTEGER_TYPES.has(v.type)) return Number(v.value)
  return undefined
}

/** The message as it leaves the exchange: x-delay negated. */
export function releasedMessage(msg: Message): Message {
  const headers = msg.properties.headers ?? {}
  const delay = delayOf(msg)
  if (delay === undefined) return msg
  return msg.with({ properties: { ...msg.properties, headers: { ...headers, 'x-delay': -delay } } })
}

/** A message read back from the exchange's store. */
export function revive(m: PersistedMessage | undefined): Message | undefined {
  return m && new Message(m.exchange, m.routingKey, m.properties, m.body, m.rawProperties)
}
