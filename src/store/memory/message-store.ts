// The reference message store: everything in memory, every flush() immediate. Data outlives close() and
// lives as long as the MemoryMessageStore, so opening a queue again after close() is a "restart" with
// nothing lost, which lets unit tests exercise recovery without a disk.
import type { MessageStore, PersistedMessage, QueueStore, RecoveredMessage } from '../../core/ports.js'

interface Entry {
  msg: PersistedMessage
  delivered: boolean
  expiresAt: number | undefined
}

/** One queue's data, shared by the handles opened on it over time. */
interface QueueData {
  vhost: string
  queue: string
  nextId: number
  /** Insertion order is id order. */
  entries: Map<number, Entry>
  bytes: number
}

const RESOLVED = Promise.resolve()

export class MemoryQueueStore implements QueueStore {
  private isClosed = false

  constructor(
    private readonly data: QueueData,
    private readonly onDestroy: () => void,
  ) {}

  get closed(): boolean {
    return this.isClosed
  }

  append(msg: PersistedMessage, expiresAt?: number): number {
    this.assertOpen()
    const id = this.data.nextId++
    this.data.entries.set(id, { msg, delivered: false, expiresAt })
    this.data.bytes += msg.body.length
    return id
  }

  markDelivered(id: number): undefined {
    this.assertOpen()
    const e = this.data.entries.get(id)
    if (e) e.delivered = true
    return undefined
  }

  remove(id: number): void {
    this.assertOpen()
    const e = this.data.entries.get(id)
    if (!e) return
    this.data.entries.delete(id)
    this.data.bytes -= e.msg.body.length
  }

  flush(): Promise<void> {
    return this.isClosed ? Promise.reject(this.closedError()) : RESOLVED
  }

  read(id: number): Promise<PersistedMessage> {
    if (this.isClosed) return Promise.reject(this.closedError())
    const e = this.data.entries.get(id)
    if (!e) return Promise.reject(new Error(`message ${id} is not stored for queue '${this.data.queue}'`))
    return Promise.resolve(e.msg)
  }

  async readBatch(ids: readonly number[]): Promise<PersistedMessage[]> {
    const out: PersistedMessage[] = []
    for (const id of ids) out.push(await this.read(id))
    return out
  }

  recover(onMessage: (m: RecoveredMessage) => void): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError())
    const endId = this.data.nextId
    for (const [id, e] of [...this.data.entries]) {
      if (id >= endId) break
      // Removed by onMessage itself while we iterate a snapshot: the disk store would skip it too.
      if (!this.data.entries.has(id)) continue
      onMessage({ ...e.msg, id, delivered: e.delivered, expiresAt: e.expiresAt })
    }
    return RESOLVED
  }

  stats(): { messages: number; bytes: number } {
    return { messages: this.data.entries.size, bytes: this.data.bytes }
  }

  close(): Promise<void> {
    this.isClosed = true
    return RESOLVED
  }

  destroy(): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError())
    this.isClosed = true
    this.data.entries.clear()
    this.data.bytes = 0
    this.onDestroy()
    return RESOLVED
  }

  private assertOpen(): void {
    if (this.isClosed) throw this.closedError()
  }

  private closedError(): Error {
    return new Error(`message store for queue '${this.data.queue}' in vhost '${this.data.vhost}' is closed`)
  }
}

export class MemoryMessageStore implements MessageStore {
  private readonly queues = new Map<string, QueueData>()
  private readonly open = new Map<string, MemoryQueueStore>()

  openQueue(vhost: string, queue: string): Promise<QueueStore> {
    const key = JSON.stringify([vhost, queue])
    let data = this.queues.get(key)
    if (!data) {
      data = { vhost, queue, nextId: 1, entries: new Map(), bytes: 0 }
      this.queues.set(key, data)
    }
    let handle = this.open.get(key)
    if (!handle || handle.closed) {
      handle = new MemoryQueueStore(data, () => this.queues.delete(key))
      this.open.set(key, handle)
    }
    return Promise.resolve(handle)
  }

  listQueues(): Promise<Array<{ vhost: string; queue: string }>> {
    return Promise.resolve([...this.queues.values()].map((d) => ({ vhost: d.vhost, queue: d.queue })))
  }

  /** Closes the handles; the data stays, for a later openQueue (a simulated restart). */
  async close(): Promise<void> {
    for (const h of this.open.values()) await h.close()
    this.open.clear()
  }
}

export function createMemoryStore(): MemoryMessageStore {
  return new MemoryMessageStore()
}
