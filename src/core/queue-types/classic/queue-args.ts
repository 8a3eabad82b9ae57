// Queue arguments: validation of the x- arguments RabbitMQ understands, and the equivalence check on
// redeclare. RabbitMQ compares only the arguments it knows; unknown ones are accepted and ignored.
import {
  describeType,
  type FieldTable,
  type FieldValue,
  fieldEquals,
  fieldNumber,
  PreconditionFailedError,
} from '../../../shared/index.js'
import { inequivalence } from '../../equivalence.js'

export type Check = (v: FieldValue) => string | undefined

/** RabbitMQ's ?INTEGER_ARG_TYPES: a double or a string is not an integer argument, whatever its value. */
const INTEGER_TYPES = new Set([
  'byte',
  'short',
  'signedint',
  'long',
  'unsignedbyte',
  'unsignedshort',
  'unsignedint',
])

export const int: Check = (v) =>
  INTEGER_TYPES.has(describeType(v)) ? undefined : `"expected integer, got ${describeType(v)}"`
export const nonNegInt: Check = (v) => {
  const e = int(v)
  if (e) return e
  const n = fieldNumber(v) as number
  return n < 0 ? `{value_negative,${n}}` : undefined
}
export const positiveInt: Check = (v) => {
  const e = int(v)
  if (e) return e
  const n = fieldNumber(v) as number
  return n === 0 ? `{value_zero,0}` : n < 0 ? `{value_negative,${n}}` : undefined
}
/** LavinMQ refuses a retry multiplier beyond a signed 32-bit integer. */
export const multiplier: Check = (v) => {
  const e = positiveInt(v)
  if (e) return e
  const n = fieldNumber(v) as number
  return n > 2 ** 31 - 1 ? `{max_value_exceeded,${n}}` : undefined
}
export const str: Check = (v) =>
  typeof v === 'string' ? undefined : `{unacceptable_type,${describeType(v)}}`
/** A string from a fixed set; RabbitMQ names the failure per argument. */
export const oneOf =
  (failure: (v: string) => string, ...allowed: string[]): Check =>
  (v) => {
    if (typeof v !== 'string') return `{unacceptable_type,${describeType(v)}}`
    return allowed.includes(v) ? undefined : failure(v)
  }
export const bool: Check = (v) =>
  typeof v === 'boolean' ? undefined : `{unacceptable_type,${describeType(v)}}`
export const priority: Check = (v) => {
  const e = nonNegInt(v)
  if (e) return e
  const n = fieldNumber(v) as number
  return n > 255 ? `{max_value_exceeded,${n}}` : undefined
}
/**
 * The types RabbitMQ knows. A declare lands here only when its type is not registered (a core built
 * without boot has no stream type: streams need a stream store), and is refused rather than faked.
 */
const queueType: Check = (v) => {
  const e = oneOf((t) => `"unsupported queue type '${t}'"`, 'classic', 'quorum', 'stream')(v)
  if (e) return e
  return v === 'classic'
    ? undefined
    : `"unsupported queue type '${String(v)}'" (not available in this broker)`
}

/** Arguments RabbitMQ 3.10 validates for classic queues (and Warren's additions), and how. */
export const QUEUE_ARGS: Readonly<Record<string, Check>> = {
  'x-message-ttl': nonNegInt,
  'x-expires': positiveInt,
  'x-max-length': nonNegInt,
  'x-max-length-bytes': nonNegInt,
  'x-max-priority': priority,
  'x-overflow': oneOf(() => 'invalid_overflow', 'drop-head', 'reject-publish', 'reject-publish-dlx'),
  'x-dead-letter-exchange': str,
  'x-dead-letter-routing-key': str,
  'x-single-active-consumer': bool,
  'x-queue-mode': oneOf((m) => `"unsupported queue mode '${m}'"`, 'default', 'lazy'),
  'x-queue-type': queueType,
  'x-queue-master-locator': str,
  // A quorum queue's delivery limit and LavinMQ's delayed retry, which Warren's classic queues have too.
  'x-delivery-limit': nonNegInt,
  'x-delayed-retry-min': positiveInt,
  'x-delayed-retry-multiplier': multiplier,
  'x-delayed-retry-max': positiveInt,
  // The message-deduplication plugin's queue argument.
  'x-message-deduplication': bool,
}

/** Arguments of quorum and stream queues, which RabbitMQ refuses on a classic queue. */
const OTHER_QUEUE_TYPE_ARGS = [
  'x-dead-letter-strategy',
  'x-max-in-memory-length',
  'x-max-in-memory-bytes',
  'x-quorum-initial-group-size',
  'x-max-age',
  'x-stream-max-segment-size-bytes',
  'x-initial-cluster-size',
  'x-queue-leader-locator',
]

export function validateQueueArgs(queue: string, vhost: string, args: FieldTable): void {
  const where = `queue '${queue}' in vhost '${vhost}'`
  const dlx = args['x-dead-letter-exchange']
  if (dlx !== undefined && typeof dlx !== 'string') {
    throw new PreconditionFailedError(
      `invalid type '${describeType(dlx)}' for arg 'x-dead-letter-exchange' in ${where}`,
    )
  }
  for (const key of OTHER_QUEUE_TYPE_ARGS) {
    if (Object.hasOwn(args, key)) {
      throw new PreconditionFailedError(
        `invalid arg '${key}' for ${where} of queue type rabbit_classic_queue`,
      )
    }
  }
  if (args['x-dead-letter-routing-key'] !== undefined && dlx === undefined) {
    throw new PreconditionFailedError(
      `invalid arg 'x-dead-letter-routing-key' for ${where}: routing_key_but_no_dlx_defined`,
    )
  }
  for (const [key, check] of Object.entries(QUEUE_ARGS)) {
    if (!Object.hasOwn(args, key)) continue
    const problem = check(args[key] as FieldValue)
    if (problem) {
      throw new PreconditionFailedError(
        `invalid arg '${key}' for queue '${queue}' in vhost '${vhost}': ${problem}`,
      )
    }
  }
}

/** Redeclare with different known arguments is a 406 with RabbitMQ's wording. */
export function checkQueueEquivalence(queue: string, vhost: string, have: FieldTable, got: FieldTable): void {
  for (const key of Object.keys(QUEUE_ARGS)) {
    const a = have[key]
    const b = got[key]
    if (a === undefined && b === undefined) continue
    if (key === 'x-queue-type' && (a ?? 'classic') === (b ?? 'classic')) continue
    if (a !== undefined && b !== undefined && fieldEquals(a, b)) continue
    throw new PreconditionFailedError(
      `inequivalent arg '${key}' for queue '${queue}' in vhost '${vhost}': ${inequivalence(a, b)}`,
    )
  }
}
