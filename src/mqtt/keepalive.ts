// The keepalive of §3.1.2.10: a client silent for one and a half keepalive periods is gone. Before the
// CONNECT, the same timer gives the client its connect timeout.
import type { Clock, TimerHandle } from '../shared/index.js'

export class Keepalive {
  /** Set while the connection is not read (blocked): silence then says nothing. */
  paused = false
  private timer: TimerHandle | undefined
  private lastHeard: number

  constructor(
    private readonly clock: Clock,
    private readonly expired: (why: string) => void,
  ) {
    this.lastHeard = clock.now()
  }

  /** Bytes arrived from the client. */
  heard(): void {
    this.lastHeard = this.clock.now()
  }

  /** Calls `expired(why)` after `ms`, whatever is heard meanwhile (the connect timeout). */
  deadline(ms: number, why: string): void {
    this.stop()
    this.watch(ms, () => this.expired(why))
  }

  /** Checks the client's keepalive of `seconds` from now on (0: none). */
  start(seconds: number): void {
    this.stop()
    if (seconds === 0) return
    const limit = seconds * 1500
    const check = (): void => {
      if (this.paused) this.heard()
      const idle = this.clock.now() - this.lastHeard
      if (idle >= limit) this.expired(`keepalive timeout (${seconds} s)`)
      else this.watch(limit - idle, check)
    }
    this.watch(limit, check)
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private watch(ms: number, fn: () => void): void {
    this.timer = this.clock.setTimeout(fn, ms)
    this.timer.unref?.()
  }
}
