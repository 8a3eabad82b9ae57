// Where a classic queue's ready messages live: an in-memory window and, past it, on disk (ReadyMessages).
// On disk means the queue's durable store or, for any other queue, a paging store opened the first time
// memory pressure makes it page out. Priority queues never page (see PriorityList.popTail).
import { Message } from '../../message.js'
import type { QueueStore } from '../../ports.js'
import type { Queue, QueueHost } from '../queue.js'
import { FifoList, PriorityList } from './message-list.js'
import { ReadyMessages } from './ready-messages.js'

export class QueueBacking {
  readonly ready: ReadyMessages
  /** The durable log of a durable queue; persistent messages are appended to it. */
  readonly durable: QueueStore | undefined
  private paging: QueueStore | undefined

  constructor(
    private readonly queue: Queue,
    private readonly host: QueueHost,
    /** A page-in finished: the queue may trim, expire and deliver again. */
    pagedIn: () => void,
  ) {
    this.durable = queue.durable ? host.storeFor(queue) : undefined
    const maxPriority = queue.settings.maxPriority
    const prioritised = maxPriority !== undefined && maxPriority > 0
    this.ready = new ReadyMessages(prioritised ? new PriorityList(maxPriority) : new FifoList(), {
      pagingWanted: () => !prioritised && !queue.deleted && this.pagingWanted(),
      pagingStore: () => this.durable ?? (this.paging ??= host.pagingStoreFor(queue)),
      revive: (m) => new Message(m.exchange, m.routingKey, m.properties, m.body, m.rawProperties),
      pagedIn: () => {
        if (!queue.deleted) pagedIn()
      },
      pageInFailed: (err) => host.storeFailed(queue, err, 'reading paged-out messages back'),
    })
  }

  /** The store the queue's messages are in: its durable store, or the paging store it was given. */
  get store(): QueueStore | undefined {
    return this.durable ?? this.paging
  }

  /** Memory is short: the part of the window a paging queue would not keep in memory goes to disk. */
  pageOutExcess(): void {
    void this.ready
      .pageOut()
      .catch((err: unknown) => this.host.storeFailed(this.queue, err, 'paging messages out'))
  }

  /**
   * A durable queue pages past its window always, unless a length limit bounds it; any other queue only
   * under memory pressure. Checked on every page-out, since a policy may set a length limit later.
   */
  private pagingWanted(): boolean {
    const s = this.queue.settings
    const limited = s.maxLength !== undefined || s.maxLengthBytes !== undefined
    return (this.durable !== undefined && !limited) || this.host.memoryPressure
  }
}
