// A connection's outgoing packets: written into one buffer per event-loop turn and sent in one socket
// write. A delivery that must wait (a durable queue's delivery lease being fsynced) holds everything
// written after it until the wait is over, so packets leave in the order they were written.
import type { Socket } from 'node:net'

/** Bytes of unsent output above which queues stop handing this connection messages. */
const HIGH_WATER = 1024 * 1024

export class Output {
  private chunks: Buffer[] = []
  private bytes = 0
  private holds = 0
  private scheduled = false
  private closed = false
  /** canWrite() said no: the session is told once the output is below the mark again. */
  private full = false

  constructor(
    private readonly socket: Socket,
    /** The output can take deliveries again after canWrite() said it could not. */
    private readonly writable: () => void,
  ) {
    socket.on('drain', () => this.checkWritable())
  }

  write(packet: Buffer): void {
    if (this.closed) return
    this.chunks.push(packet)
    this.bytes += packet.length
    this.schedule()
  }

  /** Nothing written from now on leaves before `wait` settles. */
  holdUntil(wait: Promise<void>): void {
    this.holds++
    const release = (): void => {
      this.holds--
      this.schedule()
    }
    wait.then(release, release)
  }

  /** Whether queues may hand this connection more messages (socket back-pressure). */
  canWrite(): boolean {
    const ok = !this.closed && this.bytes + this.socket.writableLength < HIGH_WATER
    if (!ok) this.full = true
    return ok
  }

  /**
   * A full output becomes writable when the socket drains, or when a flush hands the socket everything
   * at once (then no 'drain' may come, and queues that stopped for this connection would wait forever).
   */
  private checkWritable(): void {
    if (!this.full || this.closed || this.bytes + this.socket.writableLength >= HIGH_WATER) return
    this.full = false
    this.writable()
  }

  /** Sends what is written now (unless held). */
  flush(): void {
    this.scheduled = false
    if (this.holds > 0 || this.chunks.length === 0 || this.socket.destroyed) return
    const data =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.bytes)
    this.chunks = []
    this.bytes = 0
    this.socket.write(data)
    this.checkWritable()
  }

  /** Sends what is written now, then writes nothing more. */
  close(): void {
    this.flush()
    this.closed = true
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }
}
