// Past values of an object's counters, for the `samples` RabbitMQ's API returns when asked with
// lengths_age/lengths_incr and msg_rates_age/msg_rates_incr. Kept in tiers as RabbitMQ's retention
// policies keep them: every 5 s for 10 minutes, then coarser for longer (the node and vhosts keep a day,
// other objects an hour). Values live in typed-array rings, one per field, allocated the first time a
// field is non-zero: an idle queue costs nothing.
export interface Tier {
  /** Sample spacing, ms. */
  incr: number
  /** How many samples the ring holds. */
  size: number
}

/** RabbitMQ's `basic` policy (queues, exchanges, channels) and `global` policy (node, vhosts). */
export const BASIC_TIERS: readonly Tier[] = [
  { incr: 5_000, size: 121 },
  { incr: 60_000, size: 61 },
]
export const GLOBAL_TIERS: readonly Tier[] = [
  ...BASIC_TIERS,
  { incr: 600_000, size: 49 },
  { incr: 1_800_000, size: 49 },
]

class Ring {
  readonly times: Float64Array
  private readonly fields = new Map<string, Float64Array>()
  /** Slots written so far (capped at the size) and where the next one goes. */
  count = 0
  next = 0

  constructor(readonly tier: Tier) {
    this.times = new Float64Array(tier.size)
  }

  push(at: number, values: Readonly<Record<string, number>>): void {
    const i = this.next
    this.times[i] = at
    for (const k in values) {
      const v = values[k] as number
      let ring = this.fields.get(k)
      if (!ring && v !== 0) this.fields.set(k, (ring = new Float64Array(this.tier.size)))
      if (ring) ring[i] = v
    }
    this.next = (i + 1) % this.tier.size
    this.count = Math.min(this.count + 1, this.tier.size)
  }

  /** The value of `field` at the latest slot at or before `t`; undefined when the ring starts after t. */
  valueAt(field: string, t: number): number | undefined {
    const ring = this.fields.get(field)
    for (let n = 1; n <= this.count; n++) {
      const i = (this.next - n + this.tier.size) % this.tier.size
      if ((this.times[i] as number) <= t) return ring ? (ring[i] as number) : 0
    }
    return undefined
  }

  get oldest(): number {
    return this.count === 0
      ? Infinity
      : (this.times[(this.next - this.count + this.tier.size) % this.tier.size] as number)
  }
}

export interface Window {
  /** How far back, ms, and the spacing of the samples, ms. */
  age: number
  incr: number
}

export interface Point {
  sample: number
  timestamp: number
}

export class SampleHistory {
  private readonly rings: Ring[]

  constructor(tiers: readonly Tier[]) {
    this.rings = tiers.map((t) => new Ring(t))
  }

  /** Records the values read at `now` in every tier that has none yet for `now`'s interval. */
  record(now: number, values: Readonly<Record<string, number>>): void {
    // Kept with the time it was read, so that a lookup never finds a value before it existed; one per
    // tier interval.
    for (const r of this.rings) {
      const last = r.count === 0 ? -Infinity : (r.times[(r.next - 1 + r.tier.size) % r.tier.size] as number)
      if (Math.floor(now / r.tier.incr) > Math.floor(last / r.tier.incr)) r.push(now, values)
    }
  }

  /** Samples of `field` from now back `age`, every `incr`, newest first (0 before anything was kept). */
  samples(field: string, w: Window, now: number): Point[] {
    const out: Point[] = []
    const newest = Math.floor(now / w.incr) * w.incr
    // The point at t stands for its interval [t, t + incr): the last value read before it ends.
    for (let t = newest; t >= newest - w.age; t -= w.incr) {
      out.push({ sample: this.valueAt(field, t + w.incr - 1) ?? 0, timestamp: t })
    }
    return out
  }

  /** From the finest tier that reaches back to `t`. */
  private valueAt(field: string, t: number): number | undefined {
    for (const r of this.rings) if (r.oldest <= t) return r.valueAt(field, t)
    return undefined
  }
}
