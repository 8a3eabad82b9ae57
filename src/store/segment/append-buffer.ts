// The write buffer records are encoded into. A cycle takes the filled region by reference and encoding
// goes on after it, so each byte is copied once (message to slab) and nothing in flight is overwritten.
// The slab is dropped when a cycle leaves nothing pending, so an idle queue holds no buffer at all.
const SLAB_SIZE = 256 * 1024

export class AppendBuffer {
  /** Bytes appended and not yet taken. */
  pending = 0
  slab: Buffer | null = null
  pos = 0
  private start = 0
  private chunks: Buffer[] = []

  /** Makes room for n contiguous bytes at this.pos of the returned slab. */
  reserve(n: number): Buffer {
    if (this.slab && this.pos + n <= this.slab.length) return this.slab
    this.seal()
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_SIZE, n))
    this.pos = 0
    this.start = 0
    return this.slab
  }

  /** Marks the slab up to end as written by the caller. */
  commit(end: number): void {
    this.pending += end - this.pos
    this.pos = end
  }

  /** Queues a buffer by reference (large bodies: no copy). The caller must not change it afterwards. */
  ref(b: Buffer): void {
    this.seal()
    this.chunks.push(b)
    this.pending += b.length
  }

  take(): Buffer[] {
    this.seal()
    const out = this.chunks
    this.chunks = []
    this.pending = 0
    return out
  }

  releaseIfEmpty(): void {
    if (this.pending === 0) this.slab = null
  }

  private seal(): void {
    if (this.slab && this.pos > this.start) {
      this.chunks.push(this.slab.subarray(this.start, this.pos))
      this.start = this.pos
    }
  }
}
