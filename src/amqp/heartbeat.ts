// Heartbeats: the server sends one every half interval when it has sent nothing else, and closes the
// connection when the client has been silent for two intervals, as RabbitMQ does. Time comes from the
// injected clock.
import type { Clock, TimerHandle } from '../shared/index.js'

interface HeartbeatHost {
  readonly input: { readonly readingPaused: boolean }
  readonly output: { readonly writer: { length: number }; writeHeartbeat(): void }
  terminate(): void
  readonly logger: { warn(obj: object, msg: string): void }
  readonly ctx: { readonly clock: Clock }
}

export class Heartbeat {
  private readonly clock: Clock
  private lastReceived: number
  private lastSent: number
  private timer: TimerHandle | undefined

  constructor(private readonly host: HeartbeatHost) {
    this.clock = host.ctx.clock
    this.lastReceived = this.lastSent = this.clock.now()
  }

  received(): void {
    this.lastReceived = this.clock.now()
  }

  start(seconds: number): void {
    if (seconds <= 0) return
    this.schedule(seconds * 1000)
  }

  private schedule(intervalMs: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      if (this.tick(intervalMs)) this.schedule(intervalMs)
    }, intervalMs / 2)
    this.timer.unref?.()
  }

  /** One check; false once the connection was closed for silence. */
  private tick(intervalMs: number): boolean {
    const now = this.clock.now()
    if (this.host.input.readingPaused) this.lastReceived = now
    if (now - this.lastReceived > 2 * intervalMs) {
      this.host.logger.warn(
        { timeoutSeconds: intervalMs / 1000 },
        'missed heartbeats from client, closing connection',
      )
      this.host.terminate()
      return false
    }
    if (now - this.lastSent >= intervalMs / 2 - 5) {
      this.lastSent = now
      this.host.output.writeHeartbeat()
    }
    return true
  }

  /** Any output counts as a sign of life; called on flush. */
  sent(): void {
    this.lastSent = this.clock.now()
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }
}
