// The overview's time series. The API reports only the current rates and depths, so the console keeps
// the samples it polls (every refresh, whichever page is open) for the last ten minutes, in
// sessionStorage so that a reload keeps the charts.
import { rateOf } from './dom.js'

const KEY = 'warren.samples'
const KEEP_MS = 10 * 60_000

let samples = load()

function load() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? '[]')
    return Array.isArray(saved) ? saved : []
  } catch {
    return []
  }
}

/** Records the rates and depths of an /api/overview answer. */
export function record(overview, t = Date.now()) {
  const ms = overview.message_stats ?? {}
  const qt = overview.queue_totals ?? {}
  samples.push({
    t,
    values: {
      publish: rateOf(ms, 'publish') ?? 0,
      deliver: rateOf(ms, 'deliver_get') ?? 0,
      ack: rateOf(ms, 'ack') ?? 0,
      ready: qt.messages_ready ?? 0,
      unacked: qt.messages_unacknowledged ?? 0,
    },
  })
  samples = samples.filter((s) => s.t > t - KEEP_MS)
  sessionStorage.setItem(KEY, JSON.stringify(samples))
}

export const overviewSamples = () => samples

export function clearHistory() {
  samples = []
  sessionStorage.removeItem(KEY)
}
