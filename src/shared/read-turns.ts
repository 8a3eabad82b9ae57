// Fair reading between a front end's connections. libuv reads a readable socket up to 32 times in one
// poll, so a client that floods (a publisher writing faster than the broker handles its packets) can have
// megabytes read and handled in one event-loop turn while every other connection waits, a consumer's
// acknowledgements among them: its deliveries then come one prefetch window per long turn. A connection
// that has read `limit` bytes in this turn stops reading until the next one, as RabbitMQ's scheduler
// lets every connection process run in turn.
import type { Transport } from './transport.js'

/** A socket read of this size is what one libuv read takes at most. */
const TURN_LIMIT = 64 * 1024

export class ReadTurns {
  private bytes = 0
  private paused = false
  private resetScheduled = false

  constructor(
    private readonly socket: Transport,
    /** The connection holds its reading for reasons of its own (then it resumes it itself). */
    private readonly held: () => boolean,
    private readonly limit = TURN_LIMIT,
  ) {}

  /** Called with each chunk read; pauses the socket until the next turn once this one has had its share. */
  read(length: number): void {
    this.bytes += length
    if (!this.resetScheduled) {
      this.resetScheduled = true
      setImmediate(this.nextTurn)
    }
    if (this.bytes >= this.limit && !this.paused) {
      this.paused = true
      this.socket.pause()
    }
  }

  private readonly nextTurn = (): void => {
    this.resetScheduled = false
    this.bytes = 0
    if (!this.paused) return
    this.paused = false
    if (!this.held() && !this.socket.destroyed) this.socket.resume()
  }
}
