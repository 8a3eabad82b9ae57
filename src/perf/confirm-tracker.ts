// Publisher-confirm bookkeeping. Delivery tags are 1, 2, 3, ... in publish order. Brokers usually confirm
// in order (often with multiple=true), so the common case is a moving low-water mark; tags confirmed out of
// order wait in a small set until the mark reaches them.

export class ConfirmTracker {
  /** Every tag below this is settled. */
  private lowest = 1
  /** Next tag to be published. */
  private next = 1
  /** Settled tags above `lowest`. */
  private readonly early = new Set<number>()
  acked = 0
  nacked = 0

  get outstanding(): number {
    return this.next - this.lowest - this.early.size
  }

  published(n: number): void {
    this.next += n
  }

  /** Records a basic.ack or basic.nack; returns how many messages it settled. */
  settle(ack: boolean, tag: number, multiple: boolean): number {
    if (tag >= this.next) return 0 // not ours (or a broker bug): ignore rather than go negative
    let n = 0
    if (multiple) {
      for (let t = this.lowest; t <= tag; t++) if (!this.early.delete(t)) n++
      if (tag >= this.lowest) this.lowest = tag + 1
    } else if (tag === this.lowest) {
      n = 1
      this.lowest++
    } else if (tag > this.lowest && !this.early.has(tag)) {
      this.early.add(tag)
      n = 1
    }
    while (this.early.delete(this.lowest)) this.lowest++
    if (ack) this.acked += n
    else this.nacked += n
    return n
  }
}
