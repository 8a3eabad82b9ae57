// The effective settings of a queue, read once from its arguments and policies into plain
// fields so that the hot path never looks into a field table.
import { type FieldTable, fieldNumber } from '../../shared/index.js'

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx'

/**
 * LavinMQ's delayed retry: a message rejected or nacked with requeue waits before it is ready again,
 * `min` ms times the attempt (multiplier unset: linear), or `min * multiplier^(attempt-1)` (1: constant),
 * never more than `max`.
 */
export interface RetryBackoff {
  readonly min: number
  readonly multiplier: number | undefined
  readonly max: number | undefined
}

/** LavinMQ's delivery limit when retries are on and nothing sets one (RabbitMQ 4's default too). */
export const RETRY_DEFAULT_DELIVERY_LIMIT = 20

export interface QueueSettings {
  messageTtl: number | undefined
  expires: number | undefined
  maxLength: number | undefined
  maxLengthBytes: number | undefined
  overflow: Overflow
  deadLetterExchange: string | undefined
  deadLetterRoutingKey: string | undefined
  maxPriority: number | undefined
  singleActiveConsumer: boolean
  /** Returns a message may have before it is dead-lettered as delivery_limit; undefined: not counted. */
  deliveryLimit: number | undefined
  retry: RetryBackoff | undefined
}

type Definition = Readonly<Record<string, unknown>> | undefined

/**
 * A queue's settings from its x- arguments and the definitions of the user policy and the operator
 * policy that apply to it, resolved as RabbitMQ 3.10 does: for limits and TTLs the smallest value
 * wins (and, as in LavinMQ, for the delivery limit and the retry keys); for the other keys a queue argument wins over a policy, and a policy over an operator policy.
 */
export function resolveSettings(args: FieldTable, policy?: Definition, operator?: Definition): QueueSettings {
  const fromArg = (k: string): number | undefined => fieldNumber(args[`x-${k}`])
  // Every numeric key is a count of something; anything else (a value an older Warren stored for a key
  // it ignored) counts as unset.
  const fromDef = (d: Definition, k: string): number | undefined => {
    const v = d?.[k]
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined
  }
  const smallest = (k: string): number | undefined => {
    const values = [fromArg(k), fromDef(policy, k), fromDef(operator, k)].filter(
      (v): v is number => v !== undefined,
    )
    return values.length > 0 ? Math.min(...values) : undefined
  }
  const firstString = (k: string): string | undefined => {
    const arg = args[`x-${k}`]
    if (typeof arg === 'string') return arg
    const v = policy?.[k] ?? operator?.[k]
    return typeof v === 'string' ? v : undefined
  }
  const retryMin = smallest('delayed-retry-min')
  const retry =
    retryMin === undefined
      ? undefined
      : {
          min: retryMin,
          multiplier: smallest('delayed-retry-multiplier'),
          max: smallest('delayed-retry-max'),
        }
  return {
    messageTtl: smallest('message-ttl'),
    expires: smallest('expires'),
    maxLength: smallest('max-length'),
    maxLengthBytes: smallest('max-length-bytes'),
    overflow: (firstString('overflow') as Overflow | undefined) ?? 'drop-head',
    deadLetterExchange: firstString('dead-letter-exchange'),
    deadLetterRoutingKey: firstString('dead-letter-routing-key'),
    maxPriority: fromArg('max-priority'),
    singleActiveConsumer: args['x-single-active-consumer'] === true,
    deliveryLimit: smallest('delivery-limit') ?? (retry ? RETRY_DEFAULT_DELIVERY_LIMIT : undefined),
    retry,
  }
}
