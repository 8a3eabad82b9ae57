// Decoded short strings, remembered by their bytes. Exchange names, routing keys, queue names and table
// keys repeat from frame to frame, and a native UTF-8 decode costs ~50-100 ns per call while finding the
// same bytes here costs ~10-30 ns (bench/micro/codec.mjs), so every basic.publish saves two decodes.
// A direct-mapped table with no allocation: a miss overwrites the slot, so random keys cost one extra
// byte copy and never grow memory.

const SLOTS = 1024
/** Longer strings are not cached: comparing them costs about as much as decoding them. */
export const MAX_CACHED_LENGTH = 32

export class ShortStringCache {
  private readonly bytes = new Uint8Array(SLOTS * MAX_CACHED_LENGTH)
  private readonly lengths = new Int16Array(SLOTS).fill(-1)
  private readonly strings: string[] = new Array<string>(SLOTS).fill('')

  /** The slot for `buf[at, at + n)`, 1 <= n <= MAX_CACHED_LENGTH: a hash of the length and three bytes. */
  private slot(buf: Uint8Array, at: number, n: number): number {
    const h =
      n * 31 +
      (buf[at] as number) * 7 +
      (buf[at + n - 1] as number) * 131 +
      (buf[at + (n >> 1)] as number) * 17
    return h & (SLOTS - 1)
  }

  get(buf: Uint8Array, at: number, n: number): string | undefined {
    const slot = this.slot(buf, at, n)
    if (this.lengths[slot] !== n) return undefined
    const bytes = this.bytes
    const base = slot * MAX_CACHED_LENGTH
    for (let i = 0; i < n; i++) if (bytes[base + i] !== buf[at + i]) return undefined
    return this.strings[slot]
  }

  /** Remembers `s` as the decoding of `buf[at, at + n)`. */
  put(buf: Uint8Array, at: number, n: number, s: string): void {
    const slot = this.slot(buf, at, n)
    const bytes = this.bytes
    const base = slot * MAX_CACHED_LENGTH
    for (let i = 0; i < n; i++) bytes[base + i] = buf[at + i] as number
    this.lengths[slot] = n
    this.strings[slot] = s
  }
}
