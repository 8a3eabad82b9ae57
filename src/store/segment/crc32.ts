// CRC-32 (IEEE 802.3, zlib's polynomial) for segment records and ack entries. Node >= 20.15 ships a native
// zlib.crc32 (5 GB/s here); older 20.x lines lack it, so a slicing-by-8 table version computes the
// identical function there. The table version is also faster below ~1 KiB (no native call, no subarray),
// which is most records, so both are used. A test checks they agree.
import * as zlib from 'node:zlib'

/** CRC-32 of data[start, end), continuing from prev (the CRC of the bytes before, 0 for none). */
type Crc32Fn = (data: Uint8Array, start: number, end: number, prev?: number) => number

const TABLES = buildTables()

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n] as number
    for (let k = 1; k < 8; k++) {
      c = (t[c & 0xff] as number) ^ (c >>> 8)
      t[k * 256 + n] = c
    }
  }
  return t
}

/** Table-driven CRC-32 of data[start, end): eight bytes per step. */
export function crc32Js(data: Uint8Array, start = 0, end = data.length, prev = 0): number {
  const t = TABLES
  let c = ~prev
  let i = start
  for (; i + 8 <= end; i += 8) {
    const a =
      c ^
      ((data[i] as number) |
        ((data[i + 1] as number) << 8) |
        ((data[i + 2] as number) << 16) |
        ((data[i + 3] as number) << 24))
    c =
      (t[1792 + (a & 0xff)] as number) ^
      (t[1536 + ((a >>> 8) & 0xff)] as number) ^
      (t[1280 + ((a >>> 16) & 0xff)] as number) ^
      (t[1024 + (a >>> 24)] as number) ^
      (t[768 + (data[i + 4] as number)] as number) ^
      (t[512 + (data[i + 5] as number)] as number) ^
      (t[256 + (data[i + 6] as number)] as number) ^
      (t[data[i + 7] as number] as number)
  }
  for (; i < end; i++) c = (t[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8)
  return ~c >>> 0
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number
const native = (zlib as { crc32?: NativeCrc32 }).crc32

/** Below this many bytes the table version beats the native call. */
const NATIVE_THRESHOLD = 1024

function crc32Hybrid(fn: NativeCrc32): Crc32Fn {
  return (data, start, end, prev = 0) =>
    end - start < NATIVE_THRESHOLD
      ? crc32Js(data, start, end, prev)
      : fn(start === 0 && end === data.length ? data : data.subarray(start, end), prev)
}

export const crc32: Crc32Fn = native ? crc32Hybrid(native) : crc32Js

/** Whether crc32 is the native implementation (reported in diagnostics). */
export const NATIVE_CRC32 = native !== undefined
