// Publisher flow control under resource alarms, as RabbitMQ does it: while the broker has a memory or
// disk alarm, a connection that publishes is sent connection.blocked (when the client announced the
// capability) and the broker stops reading from it, so a publisher that outruns the broker cannot make
// it run out of memory. Connections that only consume are never blocked. When the alarm clears,
// connection.unblocked is sent and reading resumes.
import type { Alarm } from '../core/index.js'

export interface BlockingHost {
  readonly clientCapabilities: Record<string, unknown>
  sendBlocked(reason: string): void
  sendUnblocked(): void
  pauseReading(): void
  resumeReading(): void
}

export class Blocking {
  private blocked = false
  private alarms: ReadonlySet<Alarm> = new Set()
  private publisher = false

  constructor(private readonly host: BlockingHost) {}

  get isBlocked(): boolean {
    return this.blocked
  }

  /** A publish arrived: a publisher during an alarm is blocked after this message. */
  onPublish(): void {
    this.publisher = true
    if (this.alarms.size > 0 && !this.blocked) this.block()
  }

  alarmsChanged(alarms: ReadonlySet<Alarm>): void {
    this.alarms = new Set(alarms)
    if (alarms.size === 0 && this.blocked) this.unblock()
    else if (alarms.size > 0 && this.publisher && !this.blocked) this.block()
  }

  private block(): void {
    this.blocked = true
    const reason = [...this.alarms].map((a) => `low on ${a}`).join(', ')
    if (this.host.clientCapabilities['connection.blocked'] === true) this.host.sendBlocked(reason)
    this.host.pauseReading()
  }

  private unblock(): void {
    this.blocked = false
    if (this.host.clientCapabilities['connection.blocked'] === true) this.host.sendUnblocked()
    this.host.resumeReading()
  }
}
