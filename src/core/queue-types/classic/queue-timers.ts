// The two timers of a classic queue: the next message expiry at the head (message TTL), and x-expires
// (an unused queue goes after that long). Both run on the injected clock.
import type { Clock, TimerHandle } from '../../../shared/index.js'

export class QueueTimers {
  private expiryTimer: TimerHandle | undefined
  private expiryAt = Infinity
  private unusedTimer: TimerHandle | undefined

  constructor(
    private readonly clock: Clock,
    /** The head's expiry is due. */
    private readonly onExpiryDue: () => void,
    /** The queue was unused for its x-expires. */
    private readonly onUnused: () => void,
  ) {}

  /** Arms the expiry timer for `next` (clock ms; Infinity for none), unless it is armed for it already. */
  armExpiry(next: number): void {
    if (next === this.expiryAt) return
    if (this.expiryTimer) this.clock.clearTimeout(this.expiryTimer)
    this.expiryTimer = undefined
    this.expiryAt = next
    if (next === Infinity) return
    const delay = Math.max(0, next - this.clock.now())
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = undefined
      this.expiryAt = Infinity
      this.onExpiryDue()
    }, delay)
    this.expiryTimer.unref?.()
  }

  /** x-expires: any use restarts the countdown; a queue with consumers is in use. */
  restartUnused(expires: number, inUse: boolean): void {
    if (this.unusedTimer) this.clock.clearTimeout(this.unusedTimer)
    this.unusedTimer = undefined
    if (inUse) return
    this.unusedTimer = this.clock.setTimeout(() => {
      this.unusedTimer = undefined
      this.onUnused()
    }, expires)
    this.unusedTimer.unref?.()
  }

  clear(): void {
    if (this.expiryTimer) this.clock.clearTimeout(this.expiryTimer)
    if (this.unusedTimer) this.clock.clearTimeout(this.unusedTimer)
    this.expiryTimer = this.unusedTimer = undefined
  }
}
