// Time is injected so that TTL and expiry tests can run on a manual clock, exactly and instantly.

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export interface TimerHandle {
  unref?(): unknown
}

/** Node's timers take at most 2^31-1 ms; a longer delay overflows to 1 ms and fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * A timer for any delay: past MAX_TIMER_MS it waits in steps, so a 30-day x-expires or message TTL (RabbitMQ
 * accepts up to 2^32-1 ms) waits 30 days instead of firing at once, or spinning every millisecond.
 */
class LongTimer implements TimerHandle {
  private timer: NodeJS.Timeout
  private unrefed = false

  constructor(
    private readonly fn: () => void,
    private readonly at: number,
  ) {
    this.timer = this.arm()
  }

  private arm(): NodeJS.Timeout {
    const left = this.at - Date.now()
    const t =
      left > MAX_TIMER_MS
        ? setTimeout(() => (this.timer = this.arm()), MAX_TIMER_MS)
        : setTimeout(this.fn, Math.max(0, left))
    if (this.unrefed) t.unref()
    return t
  }

  unref(): this {
    this.unrefed = true
    this.timer.unref()
    return this
  }

  clear(): void {
    clearTimeout(this.timer)
  }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => (ms > MAX_TIMER_MS ? new LongTimer(fn, Date.now() + ms) : setTimeout(fn, ms)),
  clearTimeout: (h) => (h instanceof LongTimer ? h.clear() : clearTimeout(h as NodeJS.Timeout)),
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
