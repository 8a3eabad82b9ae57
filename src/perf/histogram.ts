// Latency histogram with bounded memory, HdrHistogram-style: values in microseconds, exact below 128 µs,
// then 64 buckets per power of two (a reported percentile is within 1.6 % of the true value), up to
// 2^31 µs (35 minutes). Recording is a few integer operations and no allocation, so it can run per message.

const EXACT = 128
const SUB_BITS = 6
const SUB = 1 << SUB_BITS
const MAX_EXP = 31
const BUCKETS = EXACT + (MAX_EXP - SUB_BITS) * SUB

export interface LatencySummary {
  samples: number
  min_ms: number
  mean_ms: number
  p50_ms: number
  p75_ms: number
  p95_ms: number
  p99_ms: number
  p999_ms: number
  max_ms: number
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS)
  count = 0
  private sumMs = 0
  private minMs = Infinity
  private maxMs = 0

  record(ms: number): void {
    if (!(ms >= 0)) ms = 0 // clocks of two processes can disagree by a hair
    this.count++
    this.sumMs += ms
    if (ms < this.minMs) this.minMs = ms
    if (ms > this.maxMs) this.maxMs = ms
    const b = bucketOf(ms * 1000)
    this.counts[b] = (this.counts[b] as number) + 1
  }

  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++)
      this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number)
    this.count += other.count
    this.sumMs += other.sumMs
    this.minMs = Math.min(this.minMs, other.minMs)
    this.maxMs = Math.max(this.maxMs, other.maxMs)
  }

  reset(): void {
    this.counts.fill(0)
    this.count = 0
    this.sumMs = 0
    this.minMs = Infinity
    this.maxMs = 0
  }

  /** The value (ms) below which `p` percent of the samples fall; 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0
    if (p >= 100) return this.maxMs
    const target = Math.max(1, Math.ceil((p / 100) * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number
      if (seen >= target) return Math.min(this.maxMs, Math.max(this.minMs, valueOf(i) / 1000))
    }
    return this.maxMs
  }

  summary(): LatencySummary {
    const r = (v: number): number => Math.round(v * 1000) / 1000
    return {
      samples: this.count,
      min_ms: r(this.count ? this.minMs : 0),
      mean_ms: r(this.count ? this.sumMs / this.count : 0),
      p50_ms: r(this.percentile(50)),
      p75_ms: r(this.percentile(75)),
      p95_ms: r(this.percentile(95)),
      p99_ms: r(this.percentile(99)),
      p999_ms: r(this.percentile(99.9)),
      max_ms: r(this.maxMs),
    }
  }
}

/** Bucket of a value in microseconds. */
export function bucketOf(us: number): number {
  const v = Math.min(Math.floor(us), 2 ** MAX_EXP - 1)
  if (v < EXACT) return v
  const exp = 31 - Math.clz32(v) // v in [2^exp, 2^(exp+1)), exp >= 7
  const shift = exp - SUB_BITS
  return EXACT + (exp - SUB_BITS - 1) * SUB + ((v >>> shift) - SUB)
}

/** Midpoint (µs) of a bucket. */
export function valueOf(bucket: number): number {
  if (bucket < EXACT) return bucket
  const k = bucket - EXACT
  const exp = Math.floor(k / SUB) + SUB_BITS + 1
  const sub = (k % SUB) + SUB
  return (sub + 0.5) * 2 ** (exp - SUB_BITS)
}
