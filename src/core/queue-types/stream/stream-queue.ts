// A stream queue (RabbitMQ 3.9+'s x-queue-type: stream) over AMQP 0-9-1: an append-only log that
// consumers read from where they choose (x-stream-offset) without removing anything. Every message is
// kept, persistent or not, until retention (x-max-length-bytes, x-max-age) drops the oldest segment; a
// confirm waits for the log's group commit. What RabbitMQ refuses on a stream (basic.get, no-ack
// consumers, consumers without a prefetch, nack and reject, purge) is refused with its codes and words.
import {
  type FieldTable,
  type FieldValue,
  fieldNumber,
  NotImplementedError,
  PreconditionFailedError,
} from '../../../shared/index.js'
import type { Consumer } from '../../consumer.js'
import type { Binding } from '../../exchange/exchange.js'
import type { Message, QueueEntry } from '../../message.js'
import type { Policy } from '../../policy.js'
import type {
  EncodedBatch,
  PersistedMessage,
  StreamBatchDecoder,
  StreamChunk,
  StreamLog,
  StreamRetention,
  StreamStore,
} from '../../ports.js'
import { MessageStats } from '../../stats.js'
import type { DurabilityTicket, Enqueued, Queue, QueueHost, QueueOptions, Taken } from '../queue.js'
import { type QueueSettings, resolveSettings } from '../queue-settings.js'
import { durationMs, parseStreamStart } from './stream-args.js'
import { StreamCursor } from './stream-cursor.js'

/** A message read from a stream at its offset, with its chunk's time (ms since the epoch). */
export interface StreamRead {
  readonly offset: number
  readonly timestamp: number
  readonly message: PersistedMessage
}

/** RabbitMQ's default x-stream-max-segment-size-bytes: 500 MB. */
export const DEFAULT_SEGMENT_BYTES = 500_000_000

export class StreamQueue implements Queue {
  readonly kind = 'queue' as const
  readonly type = 'stream'
  /** A stream consumer needs a prefetch of its own (checked at consume); a global one is not refused here. */
  readonly supportsGlobalQos = true
  readonly name: string
  readonly vhost: string
  readonly durable = true
  readonly autoDelete = false
  readonly exclusiveOwner = undefined
  readonly args: FieldTable
  settings: QueueSettings
  policy: Policy | undefined
  operatorPolicy: Policy | undefined
  readonly incomingSet = new Set<Binding>()
  routeMark = 0
  deleted = false
  readonly stats = new MessageStats()
  /** The log itself, for front ends that read and write it directly (the Stream protocol). */
  readonly log: StreamLog
  private readonly deletedListeners: Array<() => void> = []
  private readonly cursors: StreamCursor[] = []
  /** What every confirm of a message routed here waits for: the log's next group commit. */
  private readonly ticket: DurabilityTicket

  constructor(
    opts: QueueOptions,
    private readonly host: QueueHost,
    store: StreamStore,
    private readonly decode: StreamBatchDecoder,
  ) {
    this.name = opts.name
    this.vhost = opts.vhost
    this.args = opts.args
    this.settings = resolveSettings(opts.args)
    const segment = fieldNumber(opts.args['x-stream-max-segment-size-bytes'])
    this.log = store.open(opts.vhost, opts.name, {
      maxSegmentBytes: segment ?? DEFAULT_SEGMENT_BYTES,
      retention: this.retention(),
    })
    this.log.onCommit(() => this.dispatch())
    this.ticket = { flush: () => this.log.flush() }
  }

  private get where(): string {
    return `queue '${this.name}' in vhost '${this.vhost}'`
  }

  /** An argument and a policy's `max-age` both apply: the shorter wins, as in RabbitMQ. */
  private retention(): StreamRetention {
    const ages = [this.args['x-max-age'], this.policy?.definition['max-age']]
      .map((age) => (typeof age === 'string' ? durationMs(age) : undefined))
      .filter((ms): ms is number => ms !== undefined)
    return {
      maxBytes: this.settings.maxLengthBytes,
      maxAgeMs: ages.length > 0 ? Math.min(...ages) : undefined,
    }
  }

  get incoming(): Binding[] {
    return [...this.incomingSet]
  }

  get consumers(): readonly Consumer[] {
    return this.cursors.map((c) => c.consumer)
  }

  /** Committed messages kept; a stream has no unacked ones (acks do not take messages out). */
  get readyCount(): number {
    return this.log.committedOffset - this.log.firstOffset
  }
  get messageCount(): number {
    return this.readyCount
  }
  get readyByteCount(): number {
    return this.log.bytes
  }
  readonly unackedCount = 0
  readonly unackedByteCount = 0
  readonly delayedCount = 0
  /** Every message of a stream is on disk only (read back per consumer). */
  get pagedOutCount(): number {
    return this.readyCount
  }
  readonly memoryBytes = 0
  get consumerCount(): number {
    return this.cursors.length
  }
  readonly activeConsumer = undefined
  readonly congested = false
  readonly waitingForPageIn = false

  enqueue(message: Message): Enqueued {
    this.log.append(message)
    this.stats.publish++
    return this.ticket
  }

  appendEncoded(batch: EncodedBatch): number {
    this.stats.publish += batch.count
    return this.log.appendEncoded(batch)
  }

  /** A chunk's messages from its firstOffset on, decoded when it holds an encoded batch. */
  messagesOf(chunk: StreamChunk): readonly PersistedMessage[] {
    if (chunk.messages) return chunk.messages
    if (!chunk.encoded) return []
    const all = this.decode(chunk.encoded, this.name)
    return chunk.skip > 0 ? all.slice(chunk.skip) : all
  }

  whenDrained(resume: () => void): void {
    resume()
  }

  checkConsumable(c: Consumer): void {
    if (!c.prefetch) {
      throw new PreconditionFailedError(`consumer prefetch count is not set for '${this.where}'`)
    }
    if (c.noAck) {
      throw new NotImplementedError(`automatic acknowledgement not supported by stream queues ${this.where}`)
    }
    if (c.args && Object.hasOwn(c.args, 'x-priority')) {
      throw new PreconditionFailedError(
        `invalid arg 'x-priority' for ${this.where} of queue type rabbit_stream_queue`,
      )
    }
    parseStreamStart(c.args?.['x-stream-offset'], this.host.clock.now(), this.where)
  }

  addConsumer(c: Consumer): void {
    this.checkConsumable(c)
    const start = parseStreamStart(c.args?.['x-stream-offset'], this.host.clock.now(), this.where)
    this.cursors.push(
      new StreamCursor(c, this, start, (err) => this.host.storeFailed(this, err, 'reading the stream')),
    )
  }

  removeConsumer(c: Consumer): void {
    const i = this.cursors.findIndex((k) => k.consumer === c)
    if (i < 0) return
    ;(this.cursors[i] as StreamCursor).close()
    this.cursors.splice(i, 1)
  }

  dispatch(): void {
    for (const c of this.cursors) c.pump()
  }

  /**
   * Reads up to `max` messages from where `offset` says (any x-stream-offset value), without a consumer:
   * the management API's and console's look into a stream. Nothing is removed or marked.
   */
  async read(offset: FieldValue | undefined, max: number): Promise<StreamRead[]> {
    const start = parseStreamStart(offset ?? 'first', this.host.clock.now(), this.where)
    const reader = this.log.openReader(await this.log.resolveStart(start))
    const out: StreamRead[] = []
    try {
      while (out.length < max) {
        const from = reader.nextOffset
        const chunk = await reader.read()
        if (!chunk) break
        const messages = this.messagesOf(chunk)
        const skip = Math.max(0, from - chunk.firstOffset)
        for (let i = skip; i < messages.length && out.length < max; i++) {
          const message = messages[i] as PersistedMessage
          out.push({ offset: chunk.firstOffset + i, timestamp: chunk.timestamp, message })
        }
      }
    } finally {
      reader.close()
    }
    return out
  }

  get(): Taken | undefined {
    throw new NotImplementedError(`basic.get not supported by stream queues ${this.where}`)
  }

  pageIn(): Promise<void> {
    return Promise.resolve()
  }

  /** An ack frees prefetch only: the message stays in the stream. */
  settle(): void {
    this.stats.ack++
  }

  discard(): void {
    throw new NotImplementedError(`basic.nack and basic.reject not supported by stream queues ${this.where}`)
  }

  /** A closed channel's or basic.recover's unacked messages: nothing goes back, the stream keeps them. */
  requeue(_entries: readonly QueueEntry[], rejected = false): void {
    if (rejected) this.discard()
  }

  purge(): number {
    throw new NotImplementedError(`queue.purge not supported by stream queues ${this.where}`)
  }

  /** RabbitMQ 3.10 deletes a stream whatever if-unused and if-empty say. */
  checkDeletable(): void {}

  /** Called once when the stream is deleted (a Stream-protocol front end tells its clients). */
  onDeleted(listener: () => void): void {
    this.deletedListeners.push(listener)
  }

  destroy(): void {
    this.deleted = true
    for (const l of this.deletedListeners.splice(0)) l()
    for (const c of this.cursors.splice(0)) {
      c.close()
      c.consumer.cancelledByQueue(this)
    }
    this.log.destroy().catch((err: unknown) => this.host.storeFailed(this, err, 'deleting the stream'))
  }

  applyPolicies(policy: Policy | undefined, operatorPolicy: Policy | undefined): void {
    this.policy = policy
    this.operatorPolicy = operatorPolicy
    this.settings = resolveSettings(this.args, policy?.definition, operatorPolicy?.definition)
    this.log.setRetention(this.retention())
  }

  pageOutExcess(): void {}

  /** The log recovered what it holds when it was opened. */
  recover(): Promise<void> {
    return Promise.resolve()
  }

  movesSettled(): Promise<void> {
    return Promise.resolve()
  }

  touch(): void {}

  stop(): void {
    for (const c of this.cursors) c.close()
  }
}
