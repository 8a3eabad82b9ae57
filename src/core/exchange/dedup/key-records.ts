// How a durable deduplicating exchange keeps its keys in its store: one record per batch of keys (the
// keys whose first copies reached disk in the same turn), not one per key, so that storing a key costs a
// few bytes in a write the store makes anyway. A record goes once none of its keys is in the cache.
// Body: per key, its expiry (float64 LE, Infinity for none), its UTF-8 length (uint32 LE), its bytes.

/** A stored batch: the store's id of the record and how many of its keys the cache still has. */
export interface KeyRecord {
  readonly id: number
  live: number
}

export interface StoredKey {
  readonly key: string
  readonly expiresAt: number
}

const HEAD = 12

export function encodeKeys(keys: readonly string[], expiries: readonly number[]): Buffer {
  let size = 0
  for (const k of keys) size += HEAD + Buffer.byteLength(k)
  const body = Buffer.allocUnsafe(size)
  let at = 0
  for (let i = 0; i < keys.length; i++) {
    body.writeDoubleLE(expiries[i] as number, at)
    const len = body.write(keys[i] as string, at + HEAD)
    body.writeUInt32LE(len, at + 8)
    at += HEAD + len
  }
  return body
}

/** The keys of a record body, in the order they were stored; a torn or foreign body yields what it can. */
export function decodeKeys(body: Buffer): StoredKey[] {
  const keys: StoredKey[] = []
  let at = 0
  while (at + HEAD <= body.length) {
    const expiresAt = body.readDoubleLE(at)
    const len = body.readUInt32LE(at + 8)
    if (at + HEAD + len > body.length) break
    keys.push({ key: body.toString('utf8', at + HEAD, at + HEAD + len), expiresAt })
    at += HEAD + len
  }
  return keys
}

/** The record's own expiry: its last key's, or none while a key never expires. */
export function recordExpiry(expiries: readonly number[]): number | undefined {
  let max = 0
  for (const e of expiries) if (e > max) max = e
  return max === Infinity ? undefined : max
}
