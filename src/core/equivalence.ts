// The checks of a redeclare, with RabbitMQ's wording: an exchange or queue declared again must match what
// exists (type, durability, auto-delete, the arguments RabbitMQ compares), and an exclusive queue is
// reached only from the connection that owns it.
import {
  describeType,
  fieldEquals,
  type FieldValue,
  PreconditionFailedError,
  ResourceLockedError,
  TypedValue,
} from '../shared/index.js'
import type { Exchange } from './exchange/index.js'
import type { Queue, QueueTypes } from './queue-types/index.js'
import type { ExchangeDeclare, QueueDeclare } from './declarations.js'

const quote = (name: string, vhost: string, what: string): string => `${what} '${name}' in vhost '${vhost}'`

export function checkExchangeEquivalence(ex: Exchange, d: ExchangeDeclare): void {
  const differ = (arg: string, got: unknown, have: unknown): never => {
    throw new PreconditionFailedError(
      `inequivalent arg '${arg}' for ${quote(ex.name, ex.vhost, 'exchange')}: received '${String(got)}' but current is '${String(have)}'`,
    )
  }
  if (ex.type !== d.type) differ('type', d.type, ex.type)
  if (ex.durable !== d.durable) differ('durable', d.durable, ex.durable)
  if (ex.autoDelete !== d.autoDelete) differ('auto_delete', d.autoDelete, ex.autoDelete)
  if (ex.internal !== d.internal) differ('internal', d.internal, ex.internal)
  // Of an exchange's arguments RabbitMQ compares only alternate-exchange.
  const have = ex.args['alternate-exchange']
  const got = d.args['alternate-exchange']
  if (
    (have !== undefined || got !== undefined) &&
    !(have !== undefined && got !== undefined && fieldEquals(have, got))
  ) {
    throw new PreconditionFailedError(
      `inequivalent arg 'alternate-exchange' for ${quote(ex.name, ex.vhost, 'exchange')}: ${inequivalence(have, got)}`,
    )
  }
}

export function checkQueueRedeclare(q: Queue, d: QueueDeclare, types: QueueTypes): void {
  if (q.durable !== d.durable) {
    throw new PreconditionFailedError(
      `inequivalent arg 'durable' for ${quote(q.name, q.vhost, 'queue')}: received '${d.durable}' but current is '${q.durable}'`,
    )
  }
  if (q.autoDelete !== d.autoDelete) {
    throw new PreconditionFailedError(
      `inequivalent arg 'auto_delete' for ${quote(q.name, q.vhost, 'queue')}: received '${d.autoDelete}' but current is '${q.autoDelete}'`,
    )
  }
  types.resolve(q.args).checkEquivalence(q.name, q.vhost, q.args, d.args)
}

/**
 * RabbitMQ's exclusivity rules: operations and passive declares need the queue to be non-exclusive or
 * owned by the caller ("lax"); a redeclare must ask for exactly the queue's ownership ("strict").
 */
export function checkExclusive(q: Queue, connectionId: number, strictOwner?: number): void {
  const ok =
    strictOwner === undefined
      ? q.exclusiveOwner === undefined || q.exclusiveOwner === connectionId
      : q.exclusiveOwner === (strictOwner < 0 ? undefined : strictOwner)
  if (!ok) {
    throw new ResourceLockedError(
      `cannot obtain exclusive access to locked ${quote(q.name, q.vhost, 'queue')}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    )
  }
}

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
