// What a message published to a delayed exchange asks for, read from its headers. The delayed-message
// plugin's x-delay (ms) delays it once; ActiveMQ's scheduler headers, under x- names (its own AMQ_SCHEDULED_*
// names are read too, for its users), make one publish a series of deliveries:
//   x-schedule-repeat  copies after the first (AMQ_SCHEDULED_REPEAT), x-schedule-period ms apart
//   x-schedule-period  (AMQ_SCHEDULED_PERIOD), and
//   x-schedule-cron    a cron expression (AMQ_SCHEDULED_CRON): every time it fires, a series starts, after
//                      x-delay; it repeats until the message is cancelled.
// Only integer values count (any integer wire type), as in the plugin: zero, negative, a string or a
// double delay means "no delay".
import { type FieldTable, type FieldValue, TypedValue } from '../../../shared/index.js'
import { Message } from '../../message.js'
import type { PersistedMessage } from '../../ports.js'

/** Cron expressions, computed by a library that boot provides (the core has no clock arithmetic of its own). */
export interface CronSchedules {
  /** The first time after `after` (epoch ms) that `expression` fires; throws for an invalid expression. */
  next(expression: string, after: number): number
}

export interface Schedule {
  /** Before the first delivery (of each series, with a cron expression). */
  readonly delay: number
  /** Copies after the first in a series. */
  readonly repeat: number
  /** Between the copies of a series. */
  readonly period: number
  readonly cron: string | undefined
}

/** A message delayed once, without its delay (entries of such messages keep no schedule of their own). */
export const ONCE: Schedule = Object.freeze({ delay: 0, repeat: 0, period: 0, cron: undefined })

/** Whether a schedule is a single delivery: its entry need not keep it (the headers say it again). */
export function isOnce(s: Schedule): boolean {
  return s.repeat === 0 && s.cron === undefined
}

/** Where the stored copy of a series keeps how many copies are left (never delivered). */
export const REMAINING_HEADER = 'x-schedule-remaining'

const INTEGER_TYPES = new Set(['b', 'B', 's', 'u', 'i', 'l'])

/** The schedule a message asks for, or undefined for one to route now. */
export function scheduleOf(msg: Message | PersistedMessage): Schedule | undefined {
  const h = msg.properties.headers
  if (h === undefined) return undefined
  const delay = header(h, 'x-delay', 'AMQ_SCHEDULED_DELAY')
  const repeat = header(h, 'x-schedule-repeat', 'AMQ_SCHEDULED_REPEAT')
  const cronValue = h['x-schedule-cron'] ?? h['AMQ_SCHEDULED_CRON']
  const cron = typeof cronValue === 'string' && cronValue.trim() !== '' ? cronValue.trim() : undefined
  if (delay <= 0 && repeat <= 0 && cron === undefined) return undefined
  const period = header(h, 'x-schedule-period', 'AMQ_SCHEDULED_PERIOD')
  return { delay: Math.max(0, delay), repeat: Math.max(0, repeat), period: Math.max(0, period), cron }
}

function header(h: FieldTable, name: string, activeMqName: string): number {
  return integerValue(h[name] ?? h[activeMqName]) ?? 0
}

function integerValue(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined
  if (typeof v === 'bigint') return Number(v)
  if (v instanceof TypedValue && INTEGER_TYPES.has(v.type)) return Number(v.value)
  // ActiveMQ's clients often send these as strings ("60000"); the x- names stay integer-only, as x-delay.
  return undefined
}

/** When a schedule first delivers, published at `now`. */
export function firstDue(s: Schedule, now: number, cron: CronSchedules): number {
  return (s.cron === undefined ? now : cron.next(s.cron, now)) + s.delay
}

/**
 * After a delivery due at `due` with `remaining` copies left in its series: the next one, or undefined
 * when the schedule is over. A cron series starts again at the next firing after both the last delivery
 * and `now` (a broker that was down does not replay every firing it missed).
 */
export function nextDelivery(
  s: Schedule,
  due: number,
  remaining: number,
  now: number,
  cron: CronSchedules,
): { due: number; remaining: number } | undefined {
  if (remaining > 0) return { due: due + s.period, remaining: remaining - 1 }
  if (s.cron === undefined) return undefined
  return { due: cron.next(s.cron, Math.max(due, now)) + s.delay, remaining: s.repeat }
}

/** How many copies a stored series has left (the header written with it), else a new series'. */
export function storedRemaining(msg: Message | PersistedMessage, s: Schedule): number {
  return integerValue(msg.properties.headers?.[REMAINING_HEADER]) ?? s.repeat
}

/** The copy kept in the store for the rest of a series. */
export function withRemaining(msg: Message, remaining: number): Message {
  const headers = { ...msg.properties.headers, [REMAINING_HEADER]: remaining }
  return msg.with({ properties: { ...msg.properties, headers } })
}

/** The message as it is delivered: x-delay negated (the plugin's sign that it was delayed), no state. */
export function deliveredCopy(msg: Message): Message {
  const { [REMAINING_HEADER]: _state, ...headers } = msg.properties.headers ?? {}
  const delay = integerValue(headers['x-delay'])
  if (delay !== undefined && delay > 0) headers['x-delay'] = -delay
  return msg.with({ properties: { ...msg.properties, headers } })
}

/** A message read back from the exchange's store. */
export function revive(m: PersistedMessage | undefined): Message | undefined {
  return m && new Message(m.exchange, m.routingKey, m.properties, m.body, m.rawProperties)
}
