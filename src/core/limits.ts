// Limits an operator sets on a vhost (RabbitMQ's `vhost-limits` runtime parameter: max-connections,
// max-queues) and on a user (max-connections, max-channels), RabbitMQ's checks of their values, and the
// queue limit a declare meets. A negative value means no limit; 0 allows none. Connections and channels
// are counted in tracking.ts.
import { PreconditionFailedError } from '../shared/index.js'
import type { VHost } from './vhost.js'

/** Limit name → value. Vhost limits keep RabbitMQ's order (the last one set first); user limits sort. */
export type Limits = Readonly<Record<string, number>>

export const VHOST_LIMITS: readonly string[] = ['max-connections', 'max-queues']
export const USER_LIMITS: readonly string[] = ['max-connections', 'max-channels']

/** The limit in force: its value when set and not negative, else undefined (no limit). */
export function limitOf(limits: Limits | undefined, name: string): number | undefined {
  const v = limits?.[name]
  return v === undefined || v < 0 ? undefined : v
}

/** `limits` with `name` set to `value`, placed first, as RabbitMQ's update_limit does. */
export function withLimit(limits: Limits | undefined, name: string, value: number): Limits {
  return { [name]: value, ...withoutLimit(limits, name) }
}

export function withoutLimit(limits: Limits | undefined, name: string): Limits {
  const { [name]: _gone, ...rest } = limits ?? {}
  return rest
}

/**
 * Why `values` cannot be set as limits of these `names`, in RabbitMQ's words (without the "Validation
 * failed" frame the vhost-limits answers add), or undefined when they can. `what` names the parameter:
 * 'limits' for a vhost, 'user-limits' for a user. Values must be integers JavaScript holds exactly
 * (RabbitMQ takes any integer; a limit beyond 2^53 would not round-trip).
 */
export function limitsProblem(
  values: Readonly<Record<string, unknown>>,
  names: readonly string[],
  what: 'limits' | 'user-limits',
): string | undefined {
  for (const [k, v] of Object.entries(values)) {
    if (names.includes(k) && !(typeof v === 'number' && Number.isSafeInteger(v))) {
      return `${k} should be a number, actually was ${erlangTerm(v)}`
    }
  }
  const unknown = Object.entries(values).filter(([k]) => !names.includes(k))
  if (unknown.length === 0) return undefined
  return `Unrecognised terms [${unknown.map(([k, v]) => `{${erlangTerm(k)},${erlangTerm(v)}}`).join(',')}] in ${what}`
}

/** RabbitMQ's max-queues check before a queue is created (406 when the vhost has all it may have). */
export function checkQueueLimit(vhost: VHost, queue: string): void {
  const max = limitOf(vhost.limits, 'max-queues')
  if (max !== undefined && vhost.queues.size + 1 > max) {
    throw new PreconditionFailedError(
      `cannot declare queue '${queue}': queue limit in vhost '${vhost.name}' (${max}) is reached`,
    )
  }
}

/** A JSON value as Erlang's ~p prints what RabbitMQ's JSON decoder made of it. */
function erlangTerm(v: unknown): string {
  if (typeof v === 'string') return `<<${JSON.stringify(v)}>>`
  if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : erlangFloat(v)
  if (v === null || typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return `[${v.map(erlangTerm).join(',')}]`
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
    return `#{${entries.map(([k, x]) => `${erlangTerm(k)} => ${erlangTerm(x)}`).join(',')}}`
  }
  return String(v)
}

/** Erlang prints floats with a mantissa that always has a decimal point: 1.5, 1.0e21. */
function erlangFloat(v: number): string {
  const s = String(v)
  if (!/e/.test(s)) return s
  const [mantissa = '', exponent = ''] = s.split('e')
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}e${exponent.replace('+', '')}`
}
