// `samples` in `<name>_details`, when a request asks with RabbitMQ's lengths_age/lengths_incr (queue
// depths) and msg_rates_age/msg_rates_incr (message counters), in seconds: the values every incr over the
// last age, newest first, with their average (`avg`) and the average rate over the window (`avg_rate`).
// Several objects (the overview's vhosts) are summed point by point. A missing or invalid pair asks for
// nothing, as RabbitMQ ignores it.
import type { ManagementContext } from '../context.js'
import type { Point, SampleHistory, Window } from '../sample-history.js'

export interface SampleQuery {
  lengths?: Window
  rates?: Window
}

const LENGTHS = ['messages', 'messages_ready', 'messages_unacknowledged']
/** At most this many samples per series: a day at 5 s would be 17,281 points. */
const MAX_POINTS = 1_000

export function sampleQuery(query: Readonly<Record<string, unknown>>): SampleQuery | undefined {
  const lengths = windowOf(query['lengths_age'], query['lengths_incr'])
  const rates = windowOf(query['msg_rates_age'], query['msg_rates_incr'])
  if (!lengths && !rates) return undefined
  return { ...(lengths ? { lengths } : {}), ...(rates ? { rates } : {}) }
}

function windowOf(age: unknown, incr: unknown): Window | undefined {
  const a = Number(age)
  const i = Number(incr)
  if (!Number.isInteger(a) || !Number.isInteger(i) || a <= 0 || i <= 0 || a / i > MAX_POINTS) return undefined
  return { age: a * 1000, incr: i * 1000 }
}

/** Adds samples to the `_details` of `out` (and of its message_stats) from the histories of `keys`. */
export function addSamples(
  ctx: ManagementContext,
  out: Record<string, unknown>,
  keys: readonly object[],
  q: SampleQuery,
): void {
  const histories = keys.map((k) => ctx.rates.historyOf(k)).filter((h): h is SampleHistory => h !== undefined)
  const now = ctx.rates.now()
  if (q.lengths) for (const n of LENGTHS) fill(out, histories, n, q.lengths, now)
  const stats = out['message_stats'] as Record<string, unknown> | undefined
  if (q.rates && stats) {
    for (const k of Object.keys(stats)) {
      if (k.endsWith('_details')) fill(stats, histories, k.slice(0, -'_details'.length), q.rates, now)
    }
  }
}

/** `owner[field + '_details']` gets the samples; the newest point is the value now (`owner[field]`). */
function fill(
  owner: Record<string, unknown>,
  histories: readonly SampleHistory[],
  field: string,
  w: Window,
  now: number,
): void {
  const details = owner[`${field}_details`]
  if (typeof details !== 'object' || details === null) return
  const points = sum(
    histories.map((h) => h.samples(field, w, now)),
    w,
    now,
  )
  // The server reads its counters every 5 s; the interval in progress shows what they are now.
  const current = owner[field]
  if (typeof current === 'number' && points[0]) points[0].sample = current
  const d = details as Record<string, unknown>
  d['samples'] = points
  d['avg'] = points.reduce((a, p) => a + p.sample, 0) / points.length
  const first = points.at(-1) as Point
  const last = points[0] as Point
  d['avg_rate'] = (last.sample - first.sample) / ((last.timestamp - first.timestamp) / 1000 || 1)
}

function sum(series: readonly Point[][], w: Window, now: number): Point[] {
  const newest = Math.floor(now / w.incr) * w.incr
  const out: Point[] = []
  for (let i = 0, t = newest; t >= newest - w.age; i++, t -= w.incr) {
    let v = 0
    for (const s of series) v += s[i]?.sample ?? 0
    out.push({ sample: v, timestamp: t })
  }
  return out
}

/** `item` with samples added when the query asks for them. */
export function sampled<T extends Record<string, unknown>>(
  ctx: ManagementContext,
  query: Readonly<Record<string, unknown>>,
  keys: readonly object[],
  item: T,
): T {
  const q = sampleQuery(query)
  if (q) addSamples(ctx, item, keys, q)
  return item
}
