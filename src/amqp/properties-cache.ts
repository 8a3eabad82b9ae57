// Decoded content-header properties, remembered by their raw bytes. Publishers tend to send the same
// properties message after message (a content type, an empty headers table, a delivery mode), so most
// content headers are byte-for-byte repeats: a hit shares one frozen properties object and one raw
// buffer between all those messages instead of decoding and copying per message. That saves the decode
// (a properties object, often a headers table) and ~200 bytes of heap per queued message. Properties
// are never mutated after decoding (dead-lettering and BCC stripping build new objects), which is what
// makes sharing them safe; they are frozen to keep it so.
import type { BasicProperties } from '../shared/index.js'

const SLOTS = 256
/** Longer property sets are mostly unique (message ids, timestamps) and are not cached. */
export const MAX_CACHED_PROPERTIES = 64

export interface CachedProperties {
  readonly properties: BasicProperties
  /** The raw bytes (flags word onwards), in a buffer of their own. */
  readonly raw: Buffer
}

export class PropertiesCache {
  private readonly entries: (CachedProperties | undefined)[] = new Array<CachedProperties | undefined>(SLOTS)

  private slot(buf: Uint8Array, at: number, n: number): number {
    const h =
      n * 31 +
      (buf[at + 1] as number) * 7 +
      (buf[at + n - 1] as number) * 131 +
      (buf[at + (n >> 1)] as number) * 17 +
      (buf[at + (n >> 2)] as number) * 257
    return h & (SLOTS - 1)
  }

  /** The cached decoding of `buf[at, end)` (2 <= end - at <= MAX_CACHED_PROPERTIES), if any. */
  get(buf: Uint8Array, at: number, end: number): CachedProperties | undefined {
    const n = end - at
    const e = this.entries[this.slot(buf, at, n)]
    if (e === undefined || e.raw.length !== n) return undefined
    const raw = e.raw
    for (let i = 0; i < n; i++) if (raw[i] !== buf[at + i]) return undefined
    return e
  }

  /** Remembers `properties` as the decoding of `buf[at, end)` and returns the shared entry. */
  put(buf: Buffer, at: number, end: number, properties: BasicProperties): CachedProperties {
    if (properties.headers) Object.freeze(properties.headers)
    const e: CachedProperties = {
      properties: Object.freeze(properties),
      raw: Buffer.from(buf.subarray(at, end)),
    }
    this.entries[this.slot(buf, at, end - at)] = e
    return e
  }
}
