// Copying a few bytes between buffers. Buffer.copy is a native call costing ~40-50 ns whatever the size;
// for the handful of bytes of small bodies and property sets a JS loop is several times cheaper.

/** Up to this many bytes are copied by a JS loop, more by the native copy. */
const LOOP_COPY_MAX = 64

/** Copies `src[start, end)` to `dst` at `at`. */
export function copyBytes(src: Buffer, start: number, end: number, dst: Uint8Array, at: number): void {
  if (end - start > LOOP_COPY_MAX) {
    src.copy(dst, at, start, end)
    return
  }
  const shift = at - start
  for (let i = start; i < end; i++) dst[shift + i] = src[i] as number
}
