// Server-side tracking of the Stream protocol: the offsets consumers store under a reference (store
// offset / query offset) and the last publishing id of each named publisher (deduplication, query
// publisher sequence). Kept with the stream's log (RabbitMQ writes them into the stream), so they last
// as long as the stream, across restarts. Saves are coalesced: one write covers every change made
// while the previous one was on its way.
import type { StreamLog } from '../core/index.js'

interface Tables {
  readonly offsets: Map<string, number>
  /** Publishing ids taken (some maybe not yet on disk): what deduplication checks. */
  readonly sequences: Map<string, number>
  /** Publishing ids whose messages are on disk: what is saved. */
  readonly written: Map<string, number>
  /** The save in progress, and the one queued after it (shared by every change meanwhile). */
  saving: Promise<void> | undefined
  queued: Promise<void> | undefined
}

export class StreamTracking {
  private readonly tables = new WeakMap<StreamLog, Tables>()

  constructor(private readonly onSaveFailed: (err: unknown) => void) {}

  private of(log: StreamLog): Tables {
    let t = this.tables.get(log)
    if (!t) {
      const saved = log.tracking
      t = {
        offsets: new Map(Object.entries(saved.offsets)),
        sequences: new Map(Object.entries(saved.sequences)),
        written: new Map(Object.entries(saved.sequences)),
        saving: undefined,
        queued: undefined,
      }
      this.tables.set(log, t)
    }
    return t
  }

  storeOffset(log: StreamLog, reference: string, offset: number): void {
    this.of(log).offsets.set(reference, offset)
    this.save(log).catch(this.onSaveFailed)
  }

  queryOffset(log: StreamLog, reference: string): number | undefined {
    return this.of(log).offsets.get(reference)
  }

  /** The last publishing id taken from the publisher named `reference` (0 when none). */
  sequence(log: StreamLog, reference: string): number {
    return this.lastSequence(log, reference) ?? 0
  }

  /**
   * The last publishing id taken from the publisher named `reference`, undefined when it has published
   * nothing: then every id is new, 0 included (as osiris, which only drops ids at or below a known one).
   */
  lastSequence(log: StreamLog, reference: string): number | undefined {
    return this.of(log).sequences.get(reference)
  }

  /** Records a publishing id taken into the stream (ids only grow); the save is not awaited here. */
  setSequence(log: StreamLog, reference: string, id: number): void {
    raise(this.of(log).sequences, reference, id)
  }

  /**
   * The messages up to publishing id `id` are on disk; the saved sequence may move there. (Saving a
   * sequence before its messages are written would, after a crash, drop their resends as duplicates.)
   */
  setWritten(log: StreamLog, reference: string, id: number): void {
    raise(this.of(log).written, reference, id)
  }

  /** Resolves once everything tracked for the stream so far is on disk. */
  save(log: StreamLog): Promise<void> {
    const t = this.of(log)
    if (t.queued) return t.queued
    const write = (): Promise<void> => {
      t.saving = log.saveTracking({
        offsets: Object.fromEntries(t.offsets),
        sequences: Object.fromEntries(t.written),
      })
      t.queued = undefined
      return t.saving
    }
    const after = t.saving
    t.queued = after ? after.then(write, write) : Promise.resolve().then(write)
    return t.queued
  }
}

/** Sets `key` to `id` unless it already holds as much (the first id, even 0, is always taken). */
function raise(m: Map<string, number>, key: string, id: number): void {
  const held = m.get(key)
  if (held === undefined || id > held) m.set(key, id)
}
