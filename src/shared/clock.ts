// Time is injected so that TTL and expiry tests can run on a manual clock, exactly and instantly.

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export interface TimerHandle {
  unref?(): unknown
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

interface ManualTimer extends TimerHandle {
  at: number
  fn: () => void
  cancelled: boolean
}

/** A clock that moves only when told to; timers fire in order as it passes them. */
export class ManualClock implements Clock {
  private timers: ManualTimer[] = []
  constructor(private time = 0) {}
  now(): number {
    return this.time
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: ManualTimer = { at: this.time + Math.max(0, ms), fn, cancelled: false }
    this.timers.push(t)
    return t
  }
  clearTimeout(handle: TimerHandle): void {
    ;(handle as ManualTimer).cancelled = true
  }
  advance(ms: number): void {
    const target = this.time + ms
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      this.time = due.at
      due.cancelled = true
      due.fn()
    }
    this.timers = this.timers.filter((t) => !t.cancelled)
    this.time = target
  }
}
