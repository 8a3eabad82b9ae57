// A channel's unacknowledged deliveries, by delivery tag. Tags are issued in increasing order, so the
// entries sit in an array indexed by (tag - base): O(1) single acks, ordered multiple acks, and no Map
// entry per delivery.
import type { Queue, QueueEntry } from '../core/index.js'
import { PreconditionFailedError } from '../shared/index.js'

export interface Unacked {
  readonly tag: number
  readonly queue: Queue
  readonly entry: QueueEntry
  /** The consumer it was delivered to (for per-consumer prefetch), or undefined for basic.get. */
  readonly consumer: { unacked: number } | undefined
}

export class UnackedTracker {
  private items: (Unacked | undefined)[] = []
  private base = 1
  private live = 0

  get count(): number {
    return this.live
  }

  add(u: Unacked): void {
    this.items[u.tag - this.base] = u
    this.live++
  }

  /** Removes and returns the entries an ack/nack/reject names; 406 when the tag is not outstanding. */
  take(tag: number, multiple: boolean): Unacked[] {
    if (multiple && tag === 0) return this.takeAll()
    const at = tag - this.base
    const found = at >= 0 ? this.items[at] : undefined
    if (!found) throw new PreconditionFailedError(`unknown delivery tag ${tag}`)
    if (!multiple) {
      this.items[at] = undefined
      this.live--
      this.compact()
      return [found]
    }
    const out: Unacked[] = []
    for (let i = 0; i <= at; i++) {
      const u = this.items[i]
      if (u) out.push(u)
    }
    this.items = this.items.slice(at + 1)
    this.base = tag + 1
    this.live -= out.length
    return out
  }

  takeAll(): Unacked[] {
    const out = this.items.filter((u): u is Unacked => u !== undefined)
    this.base += this.items.length
    this.items = []
    this.live = 0
    return out
  }

  /** Puts entries back (a rolled-back transaction's acks), keeping tag order. */
  restore(entries: readonly Unacked[]): void {
    if (entries.length === 0) return
    const all = [...this.items.filter((u): u is Unacked => u !== undefined), ...entries].sort(
      (a, b) => a.tag - b.tag,
    )
    const first = (all[0] as Unacked).tag
    const last = (all[all.length - 1] as Unacked).tag
    this.base = first
    this.items = new Array<Unacked | undefined>(last - first + 1)
    for (const u of all) this.items[u.tag - first] = u
    this.live = all.length
  }

  /** Drops leading settled slots so the array does not grow without bound. */
  private compact(): void {
    let n = 0
    while (n < this.items.length && this.items[n] === undefined) n++
    if (n === 0) return
    if (n === this.items.length) {
      this.base += n
      this.items = []
    } else if (n > 1024 || n * 2 > this.items.length) {
      this.items = this.items.slice(n)
      this.base += n
    }
  }
}
