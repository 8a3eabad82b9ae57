// One consumer's place in a stream: where it attached (x-stream-offset), a reader of the log, and the
// chunk it is being handed. Messages go out while the consumer's prefetch allows; acknowledgements only
// free prefetch, they remove nothing. A consumer at the end waits for the log's next commit.
import { TypedValue } from '../../../shared/index.js'
import type { Consumer } from '../../consumer.js'
import { Message, type QueueEntry } from '../../message.js'
import type { PersistedMessage, StreamReader, StreamStart } from '../../ports.js'
import type { StreamQueue } from './stream-queue.js'

/** The messages being handed out, from `firstOffset` on, with their chunk's time. */
interface Batch {
  readonly firstOffset: number
  readonly timestamp: number
  readonly messages: readonly PersistedMessage[]
}

export class StreamCursor {
  private reader: StreamReader | undefined
  private chunk: Batch | undefined
  /** Index in chunk.messages of the next message to hand out. */
  private next = 0
  private busy = true
  private closed = false

  constructor(
    readonly consumer: Consumer,
    private readonly queue: StreamQueue,
    start: StreamStart,
    private readonly failed: (err: unknown) => void,
  ) {
    const log = queue.log
    log.resolveStart(start).then(
      (offset) => {
        this.busy = false
        if (this.closed) return
        this.reader = log.openReader(offset)
        this.pump()
      },
      (err: unknown) => this.fail(err),
    )
  }

  private fail(err: unknown): void {
    if (!this.closed) this.failed(err)
  }

  /** Hands out what the consumer can take now; reads the next chunk when this one is done. */
  pump(): void {
    while (!this.busy && !this.closed && this.consumer.canTake()) {
      const chunk = this.chunk
      if (chunk && this.next < chunk.messages.length) {
        this.handOut(chunk, this.next++)
        continue
      }
      const reader = this.reader
      if (!reader || reader.nextOffset >= this.queue.log.committedOffset) return
      this.busy = true
      reader.read().then(
        (c) => {
          this.busy = false
          this.chunk = c && {
            firstOffset: c.firstOffset,
            timestamp: c.timestamp,
            messages: this.queue.messagesOf(c),
          }
          this.next = 0
          this.pump()
        },
        (err: unknown) => this.fail(err),
      )
    }
  }

  private handOut(chunk: Batch, i: number): void {
    const offset = chunk.firstOffset + i
    const entry: QueueEntry = {
      message: withOffset(chunk.messages[i] as PersistedMessage, offset, chunk.timestamp),
      seq: offset,
      redelivered: false,
      expiresAt: Infinity,
      storeId: -1,
    }
    this.queue.stats.deliver++
    this.consumer.deliver(this.queue, entry, undefined)
  }

  close(): void {
    this.closed = true
    this.reader?.close()
    this.chunk = undefined
  }
}

/** The message as a stream consumer gets it: its offset in the x-stream-offset header (a long). */
function withOffset(m: PersistedMessage, offset: number, timestamp: number): Message {
  const headers = { ...m.properties.headers, 'x-stream-offset': new TypedValue('l', offset) }
  return new Message(m.exchange, m.routingKey, { ...m.properties, headers }, m.body, undefined, timestamp)
}
