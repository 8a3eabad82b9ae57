// The arguments and headers of the message-deduplication plugin (noxdafox/rabbitmq-message-deduplication),
// read as it reads them: `x-cache-size` (a positive integer, or a string of one), `x-cache-ttl` (ms, same),
// `x-cache-persistence` ('memory' or 'disk'); per message the `x-deduplication-header` value is the key
// and an `x-cache-ttl` header overrides the exchange's TTL. Policies may set the same keys (the
// arguments win over a policy, as for RabbitMQ's own keys). Errors are the plugin's texts.
import {
  type FieldTable,
  type FieldValue,
  PreconditionFailedError,
  TypedValue,
} from '../../../shared/index.js'
import { argKey } from '../exchange.js'

export const DEDUP_HEADER = 'x-deduplication-header'
export const CACHE_SIZE = 'x-cache-size'
export const CACHE_TTL = 'x-cache-ttl'
export const CACHE_PERSISTENCE = 'x-cache-persistence'

const SIZE_ERROR = "Missing or invalid argument, 'x-cache-size' must be an integer greater than 0"
const TTL_ERROR = "Invalid argument, 'x-cache-ttl' must be an integer greater than 0"
const PERSISTENCE_ERROR = "Invalid argument, 'x-cache-persistence' must be either 'disk' or 'memory'"

const INTEGER_TYPES = new Set(['b', 'B', 's', 'u', 'i', 'l'])

/** A positive integer argument: any integer wire type, or a string of decimal digits (the plugin parses those). */
export function positiveInt(v: unknown): number | undefined {
  let n: number | undefined
  if (typeof v === 'number') n = v
  else if (typeof v === 'bigint') n = Number(v)
  else if (v instanceof TypedValue && INTEGER_TYPES.has(v.type)) n = Number(v.value)
  else if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) n = Number(v)
  return n !== undefined && Number.isSafeInteger(n) && n > 0 ? n : undefined
}

/** Throws the plugin's 406 for arguments of a new deduplicating exchange it refuses. */
export function validateDedupExchangeArgs(args: FieldTable): void {
  if (positiveInt(args[CACHE_SIZE]) === undefined) throw new PreconditionFailedError(SIZE_ERROR)
  if (args[CACHE_TTL] !== undefined && positiveInt(args[CACHE_TTL]) === undefined) {
    throw new PreconditionFailedError(TTL_ERROR)
  }
  const p = args[CACHE_PERSISTENCE]
  if (p !== undefined && p !== 'disk' && p !== 'memory') throw new PreconditionFailedError(PERSISTENCE_ERROR)
}

/** The policy keys the plugin registers, with its checks (used by core/policy.ts). */
export const DEDUP_POLICY_KEYS: Readonly<Record<string, (v: unknown) => boolean>> = {
  'x-message-deduplication': (v) => typeof v === 'boolean',
  [CACHE_SIZE]: (v) => typeof v === 'number' && Number.isInteger(v) && v > 0,
  [CACHE_TTL]: (v) => typeof v === 'number' && Number.isInteger(v) && v > 0,
  [CACHE_PERSISTENCE]: (v) => v === 'disk' || v === 'memory',
}

/**
 * The deduplication key of a header value, or undefined for a message that is not checked. Strings and
 * byte arrays with the same bytes are one key (the plugin compares Erlang binaries); other values are
 * keyed by their value, apart from any string (a leading NUL cannot start a UTF-8 header a client means).
 */
export function dedupKey(v: FieldValue | undefined): string | undefined {
  if (typeof v === 'string') return v
  if (v === undefined || v === null) return undefined
  if (Buffer.isBuffer(v)) return v.toString('utf8')
  return `\u0000${JSON.stringify(argKey(v), bigintReplacer)}`
}

function bigintReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v
}

/** A message's own `x-cache-ttl` header (ms), when it is a positive integer. */
export function messageCacheTtl(headers: FieldTable): number | undefined {
  const v = headers[CACHE_TTL]
  return v === undefined ? undefined : positiveInt(v)
}
