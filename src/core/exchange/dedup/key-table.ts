// An open-addressing hash index from deduplication keys to slot numbers, for DedupCache. A Map<string, _>
// with a key inserted and an old one deleted per message spends most of its time rehashing and chasing
// deleted entries (about 0.5 µs per message at 100k keys, measured); this index is two typed arrays with
// linear probing and backward-shift deletion, so it allocates nothing per key and leaves no holes. The
// slots' keys and hashes live in the cache's arrays; the index only points at them.

/** FNV-1a over the UTF-16 code units: cheap for the short ids publishers use as keys. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return h | 0
}

export class KeyTable {
  /** slot + 1 per position; 0 is empty. Its size is a power of two, at least twice the slots. */
  private index: Int32Array
  private mask: number

  constructor(
    slots: number,
    private readonly keys: readonly (string | undefined)[],
    private readonly hashes: () => Int32Array,
  ) {
    this.index = new Int32Array(tableSize(slots))
    this.mask = this.index.length - 1
  }

  /** The slot holding `key`, or -1. */
  find(key: string, hash: number): number {
    const index = this.index
    const hashes = this.hashes()
    for (let p = hash & this.mask; ; p = (p + 1) & this.mask) {
      const s = (index[p] as number) - 1
      if (s < 0) return -1
      if (hashes[s] === hash && this.keys[s] === key) return s
    }
  }

  /** Points the key's position at `slot` (the key must not be in the table). */
  insert(slot: number, hash: number): void {
    const index = this.index
    let p = hash & this.mask
    while (index[p] !== 0) p = (p + 1) & this.mask
    index[p] = slot + 1
  }

  /** Removes `slot` (holding a key of this hash), shifting its cluster back so no hole is left. */
  remove(slot: number, hash: number): void {
    const index = this.index
    const mask = this.mask
    let hole = hash & mask
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask
    for (let p = (hole + 1) & mask; index[p] !== 0; p = (p + 1) & mask) {
      const home = (this.hashes()[(index[p] as number) - 1] as number) & mask
      // The entry at p may move into the hole unless its home lies cyclically in (hole, p].
      const stays = hole <= p ? home > hole && home <= p : home > hole || home <= p
      if (!stays) {
        index[hole] = index[p] as number
        hole = p
      }
    }
    index[hole] = 0
  }

  /** A new, larger index over `slots` slots (the cache grew): every live slot is inserted again. */
  rebuild(slots: number, live: (slot: number) => boolean): void {
    this.index = new Int32Array(tableSize(slots))
    this.mask = this.index.length - 1
    const hashes = this.hashes()
    for (let s = 0; s < slots; s++) if (live(s)) this.insert(s, hashes[s] as number)
  }

  clear(): void {
    this.index.fill(0)
  }
}

function tableSize(slots: number): number {
  let size = 16
  while (size < slots * 2) size *= 2
  return size
}
