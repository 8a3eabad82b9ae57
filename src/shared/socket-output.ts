// The outgoing side of a front end's connection (MQTT's packets, STOMP's frames): what is written in one
// event-loop turn leaves in one socket write. A delivery that must wait (a durable queue's delivery lease
// being fsynced) holds everything written after it, so output leaves in the order it was written. Queues
// ask canWrite() before handing a connection more messages; one told no is told again when there is
// room, on 'drain' or after a flush the socket took at once (then no 'drain' may come at all).
import type { Transport } from './transport.js'

/** Bytes of unsent output above which queues stop handing this connection messages. */
const HIGH_WATER = 1024 * 1024

export interface SocketOutputHooks {
  /** The output can take deliveries again after canWrite() said it could not. */
  readonly writable: () => void
  /** Called on every socket write (a protocol's heart-beats are only needed when nothing else is sent). */
  readonly wrote?: () => void
}

export class SocketOutput {
  private chunks: Buffer[] = []
  private bytes = 0
  private holds = 0
  private scheduled = false
  private closed = false
  /** canWrite() said no: `writable` is called once the output is below the mark again. */
  private full = false

  constructor(
    private readonly socket: Transport,
    private readonly hooks: SocketOutputHooks,
  ) {
    socket.on('drain', () => this.checkWritable())
  }

  write(data: Buffer): void {
    if (this.closed) return
    this.chunks.push(data)
    this.bytes += data.length
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

  /** Sends what is written now (unless held). */
  flush(): void {
    this.scheduled = false
    if (this.holds > 0 || this.chunks.length === 0 || this.socket.destroyed) return
    const data =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.bytes)
    this.chunks = []
    this.bytes = 0
    this.socket.write(data)
    this.hooks.wrote?.()
    this.checkWritable()
  }

  /** Sends what is written now, even past a delivery's wait (the last words: an error, a receipt), then nothing more. */
  close(): void {
    this.holds = 0
    this.flush()
    this.closed = true
  }

  private checkWritable(): void {
    if (!this.full || this.closed || this.bytes + this.socket.writableLength >= HIGH_WATER) return
    this.full = false
    this.hooks.writable()
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }
}
