// The arguments of a stream queue, of its declares and of its consumers, checked in RabbitMQ 3.10's order
// and wording (each case was compared with a RabbitMQ 3.10.8 node; see test/integration/stream-queue).
import {
  describeType,
  type FieldTable,
  type FieldValue,
  fieldEquals,
  fieldNumber,
  PreconditionFailedError,
  Timestamp,
  TypedValue,
} from '../../../shared/index.js'
import { inequivalence } from '../../equivalence.js'
import type { StreamStart } from '../../ports.js'

/** Arguments other queue types take that RabbitMQ refuses on a stream ("of queue type ..."). */
const REFUSED = [
  'x-expires',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-length',
  'x-max-in-memory-length',
  'x-max-in-memory-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-single-active-consumer',
  'x-queue-master-locator',
  'x-quorum-initial-group-size',
  'x-delivery-limit',
  'x-dead-letter-strategy',
]

const INTEGER_TYPES = new Set([
  'byte',
  'short',
  'signedint',
  'long',
  'unsignedbyte',
  'unsignedshort',
  'unsignedint',
])

type Check = (v: FieldValue) => string | undefined

const integer =
  (zeroAllowed: boolean): Check =>
  (v) => {
    if (!INTEGER_TYPES.has(describeType(v))) return `"expected integer, got ${describeType(v)}"`
    const n = fieldNumber(v) as number
    if (n < 0) return `{value_negative,${n}}`
    return n === 0 && !zeroAllowed ? '{value_zero,0}' : undefined
  }

const CHECKS: Readonly<Record<string, Check>> = {
  'x-max-length-bytes': integer(true),
  'x-max-age': (v) =>
    typeof v !== 'string'
      ? `{unacceptable_type,${describeType(v)}}`
      : durationMs(v)
        ? undefined
        : 'invalid_max_age',
  'x-stream-max-segment-size-bytes': integer(true),
  'x-initial-cluster-size': integer(false),
  'x-queue-leader-locator': (v) =>
    typeof v === 'string' && ['client-local', 'balanced', 'random', 'least-leaders'].includes(v)
      ? undefined
      : 'invalid_queue_locator_arg',
}

const UNIT_MS: Readonly<Record<string, number>> = {
  Y: 365 * 86_400_000,
  M: 30 * 86_400_000,
  D: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
}

/** RabbitMQ's stream durations ('7D', '12h', '30s'): ms, or undefined when not one (or zero). */
export function durationMs(v: string): number | undefined {
  const m = /^(\d+)([YMDhms])$/.exec(v)
  if (!m) return undefined
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number)
  return ms > 0 ? ms : undefined
}

/** What a declare gives besides its arguments. */
export interface StreamDeclare {
  readonly name: string
  readonly durable: boolean
  readonly autoDelete: boolean
  readonly exclusive: boolean
}

export function validateStreamArgs(queue: string, vhost: string, args: FieldTable): void {
  const where = `queue '${queue}' in vhost '${vhost}'`
  for (const key of REFUSED) {
    if (Object.hasOwn(args, key)) {
      throw new PreconditionFailedError(`invalid arg '${key}' for ${where} of queue type rabbit_stream_queue`)
    }
  }
  for (const [key, check] of Object.entries(CHECKS)) {
    if (!Object.hasOwn(args, key)) continue
    const problem = check(args[key] as FieldValue)
    if (problem) throw new PreconditionFailedError(`invalid arg '${key}' for ${where}: ${problem}`)
  }
}

/** The properties RabbitMQ refuses on a stream, checked after its arguments. */
export function validateStreamProperties(d: StreamDeclare, vhost: string): void {
  const where = `queue '${d.name}' in vhost '${vhost}'`
  if (d.name === '' || d.name.startsWith('amq.gen-')) {
    throw new PreconditionFailedError('Cannot declare a server-named queue for type rabbit_stream_queue')
  }
  if (d.autoDelete) throw new PreconditionFailedError(`invalid property 'auto-delete' for ${where}`)
  if (d.exclusive) throw new PreconditionFailedError(`invalid property 'exclusive-owner' for ${where}`)
  if (!d.durable) throw new PreconditionFailedError(`invalid property 'non-durable' for ${where}`)
}

/** The arguments a redeclare must repeat, in the order RabbitMQ compares them; the type comes last. */
const COMPARED = ['x-max-length-bytes', 'x-max-age', 'x-stream-max-segment-size-bytes', 'x-queue-type']

export function checkStreamEquivalence(
  queue: string,
  vhost: string,
  have: FieldTable,
  got: FieldTable,
): void {
  for (const key of COMPARED) {
    const a = have[key]
    const b = got[key]
    if (a === undefined && b === undefined) continue
    if (a !== undefined && b !== undefined && fieldEquals(a, b)) continue
    throw new PreconditionFailedError(
      `inequivalent arg '${key}' for queue '${queue}' in vhost '${vhost}': ${inequivalence(a, b)}`,
    )
  }
}

/**
 * The x-stream-offset of basic.consume: 'first', 'last', 'next' (also the default), an offset (a
 * negative one is the first), a timestamp (seconds) or an interval back from now ('1h').
 */
export function parseStreamStart(v: FieldValue | undefined, now: number, where: string): StreamStart {
  if (v === undefined) return { kind: 'next' }
  if (v === 'first' || v === 'last' || v === 'next') return { kind: v }
  if (typeof v === 'string') {
    const ms = durationMs(v)
    if (ms !== undefined) return { kind: 'timestamp', at: now - ms }
  }
  if (v instanceof Timestamp) return { kind: 'timestamp', at: v.seconds * 1000 }
  const n = fieldNumber(v)
  if (n !== undefined && Number.isInteger(n) && (typeof v !== 'object' || (v as TypedValue).type !== 'd')) {
    return { kind: 'offset', offset: Math.max(0, n) }
  }
  // RabbitMQ 3.10 crashes the connection (541) on these; Warren refuses the consume (docs/compatibility.md).
  throw new PreconditionFailedError(
    `invalid arg 'x-stream-offset' for ${where}: ${JSON.stringify(String(v))}`,
  )
}
