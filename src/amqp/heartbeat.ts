// Heartbeats: the server sends one every half interval when it has sent nothing else, and closes the
// connection when the client has been silent for two intervals, as RabbitMQ does.

interface HeartbeatHost {
  readonly writer: { length: number }
  readonly readingPaused: boolean
  writeHeartbeat(): void
  terminate(): void
  readonly logger: { warn(obj: object, msg: string): void }
}

export class Heartbeat {
  private lastReceived = Date.now()
  private lastSent = Date.now()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(private readonly host: HeartbeatHost) {}

  received(): void {
    this.lastReceived = Date.now()
  }

  start(seconds: number): void {
    if (seconds <= 0) return
    const intervalMs = seconds * 1000
    this.timer = setInterval(() => this.tick(intervalMs), intervalMs / 2)
    this.timer.unref()
  }

  private tick(intervalMs: number): void {
    const now = Date.now()
    if (this.host.readingPaused) this.lastReceived = now
    if (now - this.lastReceived > 2 * intervalMs) {
      this.host.logger.warn(
        { timeoutSeconds: intervalMs / 1000 },
        'missed heartbeats from client, closing connection',
      )
      this.stop()
      this.host.terminate()
      return
    }
    if (now - this.lastSent >= intervalMs / 2 - 5) {
      this.lastSent = now
      this.host.writeHeartbeat()
    }
  }

  /** Any output counts as a sign of life; called on flush. */
  sent(): void {
    this.lastSent = Date.now()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }
}
