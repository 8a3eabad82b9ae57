// RabbitMQ's wording for an argument that differs on a redeclare (queues and exchanges alike).
import { describeType, type FieldValue, TypedValue } from '../shared/index.js'

/** RabbitMQ names plain values when both sides have one, and value and type when one side has none. */
export function inequivalence(have: FieldValue | undefined, got: FieldValue | undefined): string {
  if (have !== undefined && got !== undefined) {
    return `received '${renderValue(got)}' but current is '${renderValue(have)}'`
  }
  return `received ${describe(got)} but current is ${describe(have)}`
}

function describe(v: FieldValue | undefined): string {
  if (v === undefined) return 'none'
  return `the value '${renderValue(v)}' of type '${describeType(v)}'`
}

function renderValue(v: FieldValue): string {
  if (v instanceof TypedValue) return String(v.value)
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) ? JSON.stringify(v) : String(v)
}
