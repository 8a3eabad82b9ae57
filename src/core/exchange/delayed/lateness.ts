// How late a delayed exchange's messages leave compared with their due time, as a histogram of whole
// milliseconds (one counter per millisecond up to 10 s, then one for anything later): one increment per
// message, and percentiles for the management API and the benchmark.
const BUCKETS = 10_000

export interface LatenessSummary {
  readonly samples: number
  readonly p50: number
  readonly p99: number
  readonly p999: number
  readonly max: number
}

export class Lateness {
  private readonly counts = new Float64Array(BUCKETS + 1)
  private samples = 0
  private max = 0

  record(ms: number): void {
    const late = ms > 0 ? Math.floor(ms) : 0
    const bucket = late < BUCKETS ? late : BUCKETS
    this.counts[bucket] = (this.counts[bucket] as number) + 1
    this.samples++
    if (late > this.max) this.max = late
  }

  summary(): LatenessSummary {
    return {
      samples: this.samples,
      p50: this.percentile(0.5),
      p99: this.percentile(0.99),
      p999: this.percentile(0.999),
      max: this.max,
    }
  }

  /** The lateness (ms) that this fraction of messages stayed at or under; past 10 s, the maximum. */
  private percentile(q: number): number {
    if (this.samples === 0) return 0
    const rank = Math.ceil(q * this.samples)
    let seen = 0
    for (let ms = 0; ms < BUCKETS; ms++) {
      seen += this.counts[ms] as number
      if (seen >= rank) return ms
    }
    return this.max
  }
}
