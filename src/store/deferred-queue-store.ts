// A queue store that is usable the moment a durable queue is declared, while the real store opens in
// the background. Calls made meanwhile are replayed, in order, once it is open; their messages get
// provisional ids (negative, never confused with the real store's ids, which start at 1) that are
// translated from then on.
import type { PersistedMessage, QueueStore, RecoveredMessage, RecoverOptions } from '../core/ports.js'

type Op =
  | { kind: 'append'; provisional: number; msg: PersistedMessage; expiresAt: number | undefined }
  | { kind: 'delivered'; id: number; covered: (wait: Promise<void> | undefined) => void }
  | { kind: 'remove'; id: number }

export class DeferredQueueStore implements QueueStore {
  private real: QueueStore | undefined
  private failure: unknown
  private ops: Op[] = []
  private nextProvisional = -2
  /** Provisional id → real id, for messages appended before the store opened. */
  private readonly translated = new Map<number, number>()
  readonly ready: Promise<void>
  /** Like ready, but rejects when the store could not be opened. */
  readonly whenOpen: Promise<void>

  constructor(open: Promise<QueueStore>) {
    this.whenOpen = open.then(() => undefined)
    this.whenOpen.catch(() => undefined) // reported through ready and the calls that need the store
    this.ready = open.then(
      (store) => this.opened(store),
      (err: unknown) => {
        this.failure = err
        // Nothing will be stored: deliveries waiting for their marks go on (the failure is reported).
        for (const op of this.ops) if (op.kind === 'delivered') op.covered(undefined)
        this.ops = []
      },
    )
  }

  private opened(store: QueueStore): void {
    this.real = store
    for (const op of this.ops) {
      if (op.kind === 'append') this.translated.set(op.provisional, store.append(op.msg, op.expiresAt))
      else if (op.kind === 'delivered') op.covered(store.markDelivered(this.id(op.id)))
      else this.removeReal(op.id)
    }
    this.ops = []
  }

  private id(id: number): number {
    return id < -1 ? (this.translated.get(id) ?? id) : id
  }

  private removeReal(id: number): void {
    ;(this.real as QueueStore).remove(this.id(id))
    if (id < -1) this.translated.delete(id)
  }

  append(msg: PersistedMessage, expiresAt?: number): number {
    if (this.real) return this.real.append(msg, expiresAt)
    const provisional = this.nextProvisional--
    this.ops.push({ kind: 'append', provisional, msg, expiresAt })
    return provisional
  }

  markDelivered(id: number): Promise<void> | undefined {
    if (this.real) return this.real.markDelivered(this.id(id))
    if (this.failure !== undefined) return undefined
    // Until the store is open nothing is on disk, so the delivery waits for the mark's own wait.
    return new Promise<Promise<void> | undefined>((covered) =>
      this.ops.push({ kind: 'delivered', id, covered }),
    ).then((wait) => wait)
  }

  remove(id: number): void {
    if (this.real) this.removeReal(id)
    else this.ops.push({ kind: 'remove', id })
  }

  async flush(): Promise<void> {
    await this.ready
    if (!this.real) throw this.failure
    await this.real.flush()
  }

  async read(id: number): Promise<PersistedMessage> {
    await this.ready
    if (!this.real) throw this.failure
    return this.real.read(this.id(id))
  }

  async readBatch(ids: readonly number[]): Promise<PersistedMessage[]> {
    await this.ready
    if (!this.real) throw this.failure
    return this.real.readBatch(ids.map((id) => this.id(id)))
  }

  async recover(onMessage: (m: RecoveredMessage) => void, opts?: RecoverOptions): Promise<void> {
    await this.ready
    if (!this.real) throw this.failure
    return this.real.recover(onMessage, opts)
  }

  stats(): { messages: number; bytes: number } {
    return this.real?.stats() ?? { messages: 0, bytes: 0 }
  }

  async close(): Promise<void> {
    await this.ready
    await this.real?.close()
  }

  async destroy(): Promise<void> {
    await this.ready
    await this.real?.destroy()
  }
}
