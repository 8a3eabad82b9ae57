// Field tables as the management API shows them: plain JSON. Typed numbers lose their wire type,
// timestamps become seconds, byte strings become text; JSON read back becomes long ints, doubles,
// long strings, booleans, arrays and tables, as RabbitMQ's JSON decoding does.
import { jsonToTable as coreJsonToTable, type Json, tableToJson } from '../core/index.js'
import type { BasicProperties, FieldTable } from '../shared/index.js'
import { badRequest } from './http-errors.js'

export type { Json } from '../core/index.js'
export { fieldToJson, tableToJson, jsonToField } from '../core/index.js'

/** A JSON object as a field table; anything but an object (or nothing) is a 400. */
export function jsonToTable(v: unknown): FieldTable {
  if (v === undefined || v === null || v === '') return {}
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('arguments must be a JSON object')
  return coreJsonToTable(v as Record<string, unknown>)
}

/** JSON's `"true"`/`true` and friends, as RabbitMQ's management reads booleans. */
export function jsonBool(v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback
  return v === true || v === 'true'
}

const PROPERTY_NAMES: ReadonlyArray<readonly [keyof BasicProperties, string]> = [
  ['contentType', 'content_type'],
  ['contentEncoding', 'content_encoding'],
  ['headers', 'headers'],
  ['deliveryMode', 'delivery_mode'],
  ['priority', 'priority'],
  ['correlationId', 'correlation_id'],
  ['replyTo', 'reply_to'],
  ['expiration', 'expiration'],
  ['messageId', 'message_id'],
  ['timestamp', 'timestamp'],
  ['type', 'type'],
  ['userId', 'user_id'],
  ['appId', 'app_id'],
  ['clusterId', 'cluster_id'],
]
const INT_PROPERTIES = new Set(['delivery_mode', 'priority', 'timestamp'])

/** Message properties with RabbitMQ's snake_case names. */
export function propertiesToJson(p: BasicProperties): Record<string, Json> {
  const out: Record<string, Json> = {}
  for (const [camel, snake] of PROPERTY_NAMES) {
    const v = p[camel]
    if (v === undefined) continue
    out[snake] = camel === 'headers' ? tableToJson(v as FieldTable) : (v as Json)
  }
  return out
}

/** The `properties` object of a publish request; wrong types get RabbitMQ's ["not_int", key]. */
export function jsonToProperties(v: unknown): BasicProperties {
  if (v === undefined || v === null) return {}
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('properties must be a JSON object')
  const src = v as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [camel, snake] of PROPERTY_NAMES) {
    const x = src[snake]
    if (x === undefined || x === null) continue
    if (snake === 'headers') out[camel] = jsonToTable(x)
    else if (INT_PROPERTIES.has(snake)) {
      if (typeof x !== 'number' || !Number.isInteger(x)) throw badRequest(['not_int', snake])
      out[camel] = x
    } else out[camel] = typeof x === 'string' ? x : JSON.stringify(x)
  }
  for (const k of Object.keys(src)) {
    if (!PROPERTY_NAMES.some(([, snake]) => snake === k)) throw badRequest(['invalid_property', k])
  }
  return out as BasicProperties
}
