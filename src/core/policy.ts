// Policies and operator policies, as RabbitMQ applies them: per vhost, a name, a regular expression
// matched (unanchored, on RE2: see shared/user-pattern.ts) against queue or exchange names, what it applies to, a priority and a definition.
// Of the matching policies the one with the highest priority applies (one user policy and one operator
// policy per object). See QueueSettings for how a definition combines with queue arguments.
import { checkUserPattern, PreconditionFailedError, userPattern } from '../shared/index.js'
import { DEDUP_POLICY_KEYS } from './exchange/index.js'

export type ApplyTo = 'queues' | 'exchanges' | 'all'

export interface Policy {
  readonly vhost: string
  readonly name: string
  readonly pattern: string
  readonly applyTo: ApplyTo
  readonly priority: number
  readonly definition: Readonly<Record<string, unknown>>
}

/** Definition keys Warren acts on, with the check RabbitMQ applies to their values. */
const QUEUE_KEYS: Readonly<Record<string, (v: unknown) => boolean>> = {
  'message-ttl': isNonNegInt,
  expires: (v) => isNonNegInt(v) && (v as number) > 0,
  'max-length': isNonNegInt,
  'max-length-bytes': isNonNegInt,
  overflow: (v) => v === 'drop-head' || v === 'reject-publish' || v === 'reject-publish-dlx',
  'dead-letter-exchange': (v) => typeof v === 'string',
  'dead-letter-routing-key': (v) => typeof v === 'string',
  'queue-mode': (v) => v === 'default' || v === 'lazy',
  'delivery-limit': isNonNegInt,
  // A quorum queue's (see quorum/quorum-settings.ts).
  'dead-letter-strategy': (v) => v === 'at-most-once' || v === 'at-least-once',
  // LavinMQ's keys for delayed retry (see queue-settings.ts); as there, at least 1.
  'delayed-retry-min': isPositiveInt,
  'delayed-retry-multiplier': (v) => isPositiveInt(v) && (v as number) <= 2 ** 31 - 1,
  'delayed-retry-max': isPositiveInt,
  // A stream's (see stream/stream-queue.ts); the replication ones are accepted and have no effect on one node.
  'max-age': (v) => typeof v === 'string' && /^\d+[YMDhms]$/.test(v) && !/^0+[YMDhms]$/.test(v),
  'stream-max-segment-size-bytes': isNonNegInt,
  'queue-leader-locator': (v) =>
    v === 'client-local' || v === 'balanced' || v === 'random' || v === 'least-leaders',
  'initial-cluster-size': isNonNegInt,
  // The deduplication plugin's keys (it registers them as policy validators).
  ...DEDUP_POLICY_KEYS,
}
const EXCHANGE_KEYS: Readonly<Record<string, (v: unknown) => boolean>> = {
  'alternate-exchange': (v) => typeof v === 'string',
}
/** Keys that concern clustering or plugins Warren does not have: accepted and ignored. */
const IGNORED_KEYS = new Set([
  'ha-mode',
  'ha-params',
  'ha-sync-mode',
  'ha-promote-on-shutdown',
  'ha-promote-on-failure',
  'queue-master-locator',
  'federation-upstream',
  'federation-upstream-set',
  'max-in-memory-length',
  'max-in-memory-bytes',
  'queue-version',
])
/** Keys an operator policy may set (RabbitMQ 3.10's list). */
const OPERATOR_KEYS = new Set([
  'expires',
  'message-ttl',
  'max-length',
  'max-length-bytes',
  'max-in-memory-length',
  'max-in-memory-bytes',
  'delivery-limit',
])

function isNonNegInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0
}
function isPositiveInt(v: unknown): boolean {
  return isNonNegInt(v) && (v as number) > 0
}

/**
 * RabbitMQ's checks of a policy being set. `checkPattern` is false for policies read back from disk: an
 * older Warren accepted patterns RE2 refuses, and such a pattern now matches nothing rather than stopping
 * the broker from starting; nor are their values checked again.
 */
export function validatePolicy(p: Policy, operator: boolean, checkPattern = true): void {
  if (!['queues', 'exchanges', 'all'].includes(p.applyTo)) {
    throw new PreconditionFailedError(
      `"${p.applyTo}" is not a valid apply-to value; use queues, exchanges or all`,
    )
  }
  const invalid = checkPattern ? checkUserPattern(p.pattern) : undefined
  if (invalid !== undefined) {
    throw new PreconditionFailedError(`pattern should be regular expression but is invalid: ${invalid}`)
  }
  const unknown = Object.keys(p.definition).filter(
    (k) => !(k in QUEUE_KEYS) && !(k in EXCHANGE_KEYS) && !IGNORED_KEYS.has(k),
  )
  if (unknown.length > 0) {
    throw new PreconditionFailedError(
      `[${unknown.map((k) => `<<"${k}">>`).join(',')}] are not recognised policy settings`,
    )
  }
  if (operator) {
    const refused = Object.keys(p.definition).filter((k) => !OPERATOR_KEYS.has(k))
    if (refused.length > 0)
      throw new PreconditionFailedError(`[${refused.join(', ')}] are not allowed in operator policies`)
  }
  for (const [k, v] of Object.entries(p.definition)) {
    const check = QUEUE_KEYS[k] ?? EXCHANGE_KEYS[k]
    // An older Warren ignored delivery-limit and kept any value: one read back from disk must not stop
    // the broker from starting (resolveSettings ignores a value that is not a count).
    if (check && !check(v) && checkPattern) throw new PreconditionFailedError(invalidValue(k, v))
  }
  if (Object.keys(p.definition).length === 0) throw new PreconditionFailedError('no policy definition given')
}

/** RabbitMQ's own text for a bad delivery limit; Warren's for the other keys. */
/** RabbitMQ's words for a refused value, by key ("<<\"x\">> is not a valid max age"). */
const VALUE_NAMES: Readonly<Record<string, string>> = {
  'delivery-limit': 'delivery limit',
  'max-age': 'max age',
  'stream-max-segment-size-bytes': 'segment size',
  'queue-leader-locator': 'queue leader locator value',
  'initial-cluster-size': 'cluster size',
}

function invalidValue(key: string, v: unknown): string {
  const name = VALUE_NAMES[key]
  if (name !== undefined)
    return `${typeof v === 'string' ? `<<"${v}">>` : JSON.stringify(v)} is not a valid ${name}`
  return `invalid value ${JSON.stringify(v)} for policy key '${key}'`
}

/** The highest-priority policy of `policies` that applies to an object of this kind and name. */
export function matchPolicy(
  policies: Iterable<Policy>,
  kind: 'queue' | 'exchange',
  name: string,
): Policy | undefined {
  let best: Policy | undefined
  for (const p of policies) {
    if (p.applyTo !== 'all' && p.applyTo !== (kind === 'queue' ? 'queues' : 'exchanges')) continue
    // Compiled once per pattern (shared/user-pattern.ts caches them); RE2 keeps this linear in the name.
    if (!userPattern(p.pattern).test(name)) continue
    if (!best || p.priority > best.priority) best = p
  }
  return best
}
