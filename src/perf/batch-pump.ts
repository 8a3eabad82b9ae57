// How perf mqtt and perf stomp publishers keep a socket full: up to BATCHES_PER_TURN batches per
// event-loop turn (so the replies they wait for get read in between), a pause while the socket is above
// its high-water mark, and another turn for as long as there is something to send.
import type { Socket } from 'node:net'

const BATCHES_PER_TURN = 8

export interface BatchSource {
  /** How many messages may go now (0: none until an ack or the next start). */
  nextBatchSize(): number
  /** The next n messages as one buffer. */
  batchOf(n: number): Buffer
}

export class BatchPump {
  private running = false
  private scheduled = false
  private waitingDrain = false

  constructor(
    private readonly socket: Socket,
    private readonly source: BatchSource,
  ) {}

  start(): void {
    this.running = true
    this.pump()
  }

  stop(): void {
    this.running = false
  }

  /** Sends what may go now (after acks opened the window). */
  readonly pump = (): void => {
    this.scheduled = false
    for (let turn = 0; turn < BATCHES_PER_TURN; turn++) {
      if (!this.running || this.waitingDrain) return
      const n = this.source.nextBatchSize()
      if (n <= 0) return
      if (!this.socket.write(this.source.batchOf(n))) {
        this.waitingDrain = true
        this.socket.once('drain', () => {
          this.waitingDrain = false
          this.pump()
        })
        return
      }
    }
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.pump)
    }
  }
}
