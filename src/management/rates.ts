// Message rates. Every interval (RabbitMQ samples every 5 s) the sampler reads the counters of each
// vhost, queue, exchange, connection and channel, and keeps the change per second since the previous
// sample. Reading counters is O(objects) per interval; nothing on the message path is touched.
import type { Clock } from '../shared/index.js'
import { SampleHistory, type Tier } from './sample-history.js'

export type Sample = Readonly<Record<string, number>>

interface Entry {
  at: number
  values: Sample
  rates: Record<string, number>
  history: SampleHistory | undefined
}

const NO_RATES: Readonly<Record<string, number>> = Object.freeze({})

export class RateSampler {
  private entries = new WeakMap<object, Entry>()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly clock: Clock,
    /** Reads every tracked object's current values and passes them to observe(). */
    private readonly collect: (s: RateSampler) => void,
  ) {}

  start(intervalMs: number): void {
    this.tick()
    this.timer = setInterval(() => this.tick(), intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  tick(): void {
    this.collect(this)
  }

  /**
   * Records `values` for `key`; the rates become the change per second since the last sample. With
   * `tiers`, the values also join the key's history, which starts with the first non-zero value (an
   * idle queue keeps none; before its history starts, its values were zero).
   */
  observe(key: object, values: Sample, tiers?: readonly Tier[]): void {
    const now = this.clock.now()
    const prev = this.entries.get(key)
    const rates: Record<string, number> = {}
    if (prev && now > prev.at) {
      const seconds = (now - prev.at) / 1000
      for (const k of Object.keys(values)) {
        const before = prev.values[k]
        rates[k] = before === undefined ? 0 : round(((values[k] as number) - before) / seconds)
      }
    }
    const history = prev?.history ?? (tiers && anyNonZero(values) ? new SampleHistory(tiers) : undefined)
    history?.record(now, values)
    this.entries.set(key, { at: now, values, rates, history })
  }

  /** The key's past values, once it has been sampled. */
  historyOf(key: object): SampleHistory | undefined {
    return this.entries.get(key)?.history
  }

  now(): number {
    return this.clock.now()
  }

  /** The latest rates of `key` (empty until it has been sampled twice). */
  ratesOf(key: object): Readonly<Record<string, number>> {
    return this.entries.get(key)?.rates ?? NO_RATES
  }
}

function anyNonZero(values: Sample): boolean {
  for (const k in values) if (values[k] !== 0) return true
  return false
}

/** RabbitMQ shows rates with one decimal. */
function round(n: number): number {
  return Math.round(n * 10) / 10
}
