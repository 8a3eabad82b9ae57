// Copies small buffers (message bodies and property bytes) out of socket chunks into shared slabs, so
// that a message costs one memcpy instead of one allocation: allocating per message dominated the
// publish path's profile (buffer creation and the garbage collection behind it). A slab is freed when
// the last message in it is gone, as a socket chunk would be; large bodies get their own buffer.
import { copyBytes } from '../shared/index.js'

const SLAB_SIZE = 256 * 1024
/** Buffers at least this large are copied into a buffer of their own. */
const OWN_BUFFER_FROM = 32 * 1024

export class Slab {
  private buf = Buffer.allocUnsafe(SLAB_SIZE)
  private pos = 0

  /** Copies `src[start, end)`. */
  copy(src: Buffer, start: number, end: number): Buffer {
    const n = end - start
    if (n >= OWN_BUFFER_FROM) return Buffer.from(src.subarray(start, end))
    if (this.pos + n > this.buf.length) {
      this.buf = Buffer.allocUnsafe(SLAB_SIZE)
      this.pos = 0
    }
    const out = this.buf.subarray(this.pos, this.pos + n)
    copyBytes(src, start, end, this.buf, this.pos)
    // Keep copies 8-byte aligned: typed-array views over them stay cheap and slabs waste little.
    this.pos += (n + 7) & ~7
    return out
  }
}
