// Hashing for the hash exchanges. A routing key (or a header or property value) becomes a 32-bit number:
// FNV-1a over its UTF-16 code units, then a finaliser so that keys differing in one character differ in
// about half the bits. Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash
// Algorithm", 2014) turns that number into a bucket. Both run per message, so they work on 32-bit
// integers only: no allocation, no BigInt. RabbitMQ hashes with erlang:phash2 instead, which cannot be
// reproduced cheaply outside the Erlang VM: the same key may land on another queue than in RabbitMQ,
// with the same stability and proportions (docs/compatibility.md).

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
/** The golden-ratio step of the generator that jump hash draws from. */
const WEYL_STEP = 0x9e3779b9
const TWO_POW_32 = 0x1_0000_0000

/** A 32-bit hash of `text`; a different `seed` gives an unrelated hash of the same text. */
export function hashText(text: string, seed: number = FNV_OFFSET): number {
  let h = seed
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, FNV_PRIME)
  }
  return mix32(h)
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
function mix32(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * The bucket in [0, buckets) of `key` (-1 when there are none). When the count grows from n to n + 1,
 * a key changes bucket only to move into the new one, which about 1/(n + 1) of keys do: binding one more
 * queue moves only the keys it takes over. The algorithm needs a stream of uniform numbers in (0, 1]
 * seeded by the key; a Weyl sequence through mix32 gives one. It loops about ln(buckets) times.
 */
export function jumpHash(key: number, buckets: number): number {
  let b = -1
  let j = 0
  let state = key
  while (j < buckets) {
    b = j
    state = (state + WEYL_STEP) | 0
    const r = (mix32(state) + 1) / TWO_POW_32
    j = Math.floor((b + 1) / r)
  }
  return b
}
