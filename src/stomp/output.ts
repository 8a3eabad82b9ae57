// A connection's outgoing frames: gathered per event-loop turn into one socket write. A delivery that must
// wait (a durable queue's delivery lease being fsynced) holds everything written after it, so frames
// leave in the order they were written.
import type { Socket } from 'node:net'

/** Bytes of unsent output above which queues stop handing this connection messages. */
const HIGH_WATER = 1024 * 1024

export class Output {
  private chunks: Buffer[] = []
  private bytes = 0
  private holds = 0
  private scheduled = false
  private closed = false
  /** canWrite() said no: queues wait for `writable` once the output is below the mark again. */
  private full = false

  constructor(
    private readonly socket: Socket,
    /** Called on every socket write (heart-beats are only needed when nothing else is sent). */
    private readonly onWrite: () => void,
    /** The output can take deliveries again after canWrite() said it could not. */
    private readonly writable: () => void,
  ) {
    socket.on('drain', () => this.checkWritable())
  }

  write(frame: Buffer): void {
    if (this.closed) return
    this.chunks.push(frame)
    this.bytes += frame.length
    this.schedule()
  }

  holdUntil(wait: Promise<void>): void {
    this.holds++
    const release = (): void => {
      this.holds--
      this.schedule()
    }
    wait.then(release, release)
  }

  canWrite(): boolean {
    const ok = !this.closed && this.bytes + this.socket.writableLength < HIGH_WATER
    if (!ok) this.full = true
    return ok
  }

  /**
   * A full output becomes writable when the socket drains, or when a flush hands the socket less than it
   * buffers without complaint (no 'drain' comes then): either way the queues are told.
   */
  private checkWritable(): void {
    if (!this.full || this.closed || this.bytes + this.socket.writableLength >= HIGH_WATER) return
    this.full = false
    this.writable()
  }

  flush(): void {
    this.scheduled = false
    if (this.holds > 0 || this.chunks.length === 0 || this.socket.destroyed) return
    const data =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.bytes)
    this.chunks = []
    this.bytes = 0
    this.socket.write(data)
    this.onWrite()
    this.checkWritable()
  }

  /** Sends what is written now, then writes nothing more. */
  close(): void {
    // The last frames (an ERROR, a RECEIPT) go out even while a delivery's wait is not over.
    this.holds = 0
    this.flush()
    this.closed = true
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }
}
