// The consistent-hash exchange's buckets, laid out as RabbitMQ's plugin lays them out: each destination
// owns a run of consecutive buckets, as many as its binding's weight, in the order it was bound, and
// jump consistent hash picks a bucket. A new destination appends its run at the end, so the only keys
// that change destination are those jump hash moves into the new buckets. Removing a destination closes
// the gap: the runs after it shift down, as in the plugin.
// Runs are kept rather than one entry per bucket: a weight of a million costs one entry, and a pick is a
// binary search over the runs.
import { jumpHash } from './key-hash.js'

export class BucketRing<T> {
  private readonly owners: T[] = []
  /** The first bucket of each owner's run; a run ends where the next one starts, the last at `size`. */
  private readonly starts: number[] = []
  private readonly weights = new Map<T, number>()
  private total = 0

  /** How many buckets the ring has. */
  get size(): number {
    return this.total
  }

  has(owner: T): boolean {
    return this.weights.has(owner)
  }

  /**
   * Appends `weight` buckets owned by `owner`. An owner already on the ring keeps the run it has and
   * this returns false: the plugin ignores a second binding to the same destination, whatever its key.
   */
  add(owner: T, weight: number): boolean {
    if (this.weights.has(owner) || !(weight >= 1)) return false
    this.owners.push(owner)
    this.starts.push(this.total)
    this.weights.set(owner, weight)
    this.total += weight
    return true
  }

  /** Takes `owner`'s run out; the buckets after it move down to close the gap. */
  remove(owner: T): boolean {
    const weight = this.weights.get(owner)
    if (weight === undefined) return false
    const i = this.owners.indexOf(owner)
    this.owners.splice(i, 1)
    this.starts.splice(i, 1)
    for (let k = i; k < this.starts.length; k++) this.starts[k] = (this.starts[k] as number) - weight
    this.weights.delete(owner)
    this.total -= weight
    return true
  }

  /** The owner of the bucket jump hash picks for `key`; undefined on an empty ring. */
  pick(key: number): T | undefined {
    return this.total === 0 ? undefined : this.ownerOf(jumpHash(key, this.total))
  }

  /** The owner of `bucket`: the last run starting at or before it. */
  ownerOf(bucket: number): T | undefined {
    if (bucket < 0 || bucket >= this.total) return undefined
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if ((this.starts[mid] as number) <= bucket) lo = mid
      else hi = mid - 1
    }
    return this.owners[lo]
  }

  /** Each owner with its weight, in ring order. */
  entries(): Array<[T, number]> {
    return this.owners.map((o) => [o, this.weights.get(o) as number])
  }
}
