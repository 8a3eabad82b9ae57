// Server-side tracking of the Stream protocol: the offsets consumers store under a reference
// (store offset / query offset) and the last publishing id of each named publisher (deduplication,
// query publisher sequence), per vhost and stream. RabbitMQ writes them into the stream as tracking
// chunks; Warren keeps them in memory, so they last as long as the broker runs and the stream lives.

type Table = Map<string, number>

export class StreamTracking {
  private readonly offsets = new Map<string, Table>()
  private readonly sequences = new Map<string, Table>()

  private static key(vhost: string, stream: string): string {
    return `${vhost}\u0000${stream}`
  }

  private static table(all: Map<string, Table>, vhost: string, stream: string): Table {
    const k = StreamTracking.key(vhost, stream)
    let t = all.get(k)
    if (!t) all.set(k, (t = new Map()))
    return t
  }

  storeOffset(vhost: string, stream: string, reference: string, offset: number): void {
    StreamTracking.table(this.offsets, vhost, stream).set(reference, offset)
  }

  queryOffset(vhost: string, stream: string, reference: string): number | undefined {
    return this.offsets.get(StreamTracking.key(vhost, stream))?.get(reference)
  }

  /** The last publishing id written by the publisher named `reference` (0 when none). */
  sequence(vhost: string, stream: string, reference: string): number {
    return this.sequences.get(StreamTracking.key(vhost, stream))?.get(reference) ?? 0
  }

  /** Records a publishing id taken into the stream (ids only grow). */
  setSequence(vhost: string, stream: string, reference: string, id: number): void {
    const t = StreamTracking.table(this.sequences, vhost, stream)
    if (id > (t.get(reference) ?? 0)) t.set(reference, id)
  }

  /** The stream was deleted: a new one of that name starts with nothing tracked. */
  forget(vhost: string, stream: string): void {
    const k = StreamTracking.key(vhost, stream)
    this.offsets.delete(k)
    this.sequences.delete(k)
  }
}
