// What the core needs from outside. Implementations live in src/store/ and are picked by src/boot/.
import type { BasicProperties } from '../shared/index.js'
import type { Queue } from './queue-types/queue.js'

/**
 * Told about every change to durable definitions and durable queues, so that they can be stored.
 * Calls are synchronous notifications; the listener does its I/O in the background.
 */
export interface DurabilityListener {
  /** The store a new durable queue keeps its persistent messages in (opening in the background). */
  storeFor(q: Queue): QueueStore
  /** A queue was deleted: drop its stored messages (durable store or paging store). */
  queueDeleted(q: Queue): void
  /**
   * A store for a non-durable queue to page messages into while memory is short, kept until the queue
   * is deleted and wiped at every start; undefined when nothing is kept on disk.
   */
  pagingStoreFor(q: Queue): QueueStore | undefined
  /** Durable exchanges, queues or bindings changed. */
  definitionsChanged(): void
  /**
   * The store a durable exchange that keeps messages (the delayed exchange) keeps them in, kept under
   * exchangeStoreName() beside the queues' stores.
   */
  exchangeStoreFor(vhost: string, exchange: string): QueueStore
  /** An exchange was deleted: drop what it stored, if anything. */
  exchangeDeleted(vhost: string, exchange: string): void
}

/**
 * The name an exchange's store has among the queue stores. It starts with a NUL, which RabbitMQ clients
 * never put in a queue name, so no queue's store is taken for it.
 */
export function exchangeStoreName(exchange: string): string {
  return `\u0000exchange\u0000${exchange}`
}

/** A message as the store persists it. */
export interface PersistedMessage {
  readonly exchange: string
  readonly routingKey: string
  readonly properties: BasicProperties
  /** The content-header property bytes as received (flags word onwards), when the broker has them. */
  readonly rawProperties?: Buffer | undefined
  readonly body: Buffer
}

export interface RecoveredMessage extends PersistedMessage {
  /** The id append() returned. */
  readonly id: number
  /** True when markDelivered() was recorded for it: the consumer-visible `redelivered` flag. */
  readonly delivered: boolean
  /** When it expires (clock ms), if it was appended with an expiry. */
  readonly expiresAt?: number | undefined
}

/**
 * The durable log of one queue. Ids are assigned by append() in increasing order. Writes are buffered;
 * flush() resolves once every append/markDelivered/remove issued before the call is on disk (fsynced),
 * and one fsync covers every call made meanwhile (group commit).
 */
export interface QueueStore {
  /** `expiresAt` (clock ms) is kept so that a message's TTL runs on across restarts, as in RabbitMQ. */
  append(msg: PersistedMessage, expiresAt?: number): number
  /**
   * Records that the message is being delivered. A returned promise means the delivery must not leave
   * the broker before it resolves: until then a crash could bring the message back as never delivered.
   */
  markDelivered(id: number): Promise<void> | undefined
  /** The message is gone for good: acked, dropped, expired, purged or dead-lettered. */
  remove(id: number): void
  flush(): Promise<void>
  /** Reads a message back (for bodies paged out of memory). */
  read(id: number): Promise<PersistedMessage>
  /** Reads several messages back, in the order asked, in as few reads as their placement allows. */
  readBatch(ids: readonly number[]): Promise<PersistedMessage[]>
  /** Calls onMessage for every message not removed, in id order. */
  recover(onMessage: (m: RecoveredMessage) => void, opts?: RecoverOptions): Promise<void>
  /** Messages held and their body bytes. */
  stats(): { messages: number; bytes: number }
  close(): Promise<void>
  /** Deletes everything this queue stored. */
  destroy(): Promise<void>
}

export interface RecoverOptions {
  /**
   * false: the callback keeps nothing of a message's buffers past its return (it keeps an index, say), so
   * the store may lend views of its read buffers instead of copying each message.
   */
  readonly retainBodies?: boolean
}

export interface MessageStore {
  openQueue(vhost: string, queue: string): Promise<QueueStore>
  /** Queues that have stored data, for recovery. */
  listQueues(): Promise<Array<{ vhost: string; queue: string }>>
  close(): Promise<void>
}

/** Durable definitions in RabbitMQ's definitions-export shape (snake_case, as rabbitmqadmin reads it). */
export interface Definitions {
  vhosts?: Array<{ name: string; description?: string; tags?: string[] }>
  users?: Array<{
    name: string
    password_hash: string
    hashing_algorithm: string
    tags: string | string[]
    /** max-connections, max-channels (RabbitMQ 3.10 keeps a user's limits with the user). */
    limits?: Record<string, number>
  }>
  permissions?: Array<{ user: string; vhost: string; configure: string; write: string; read: string }>
  topic_permissions?: Array<{ user: string; vhost: string; exchange: string; write: string; read: string }>
  /** Runtime parameters, as RabbitMQ exports them; Warren stores the `vhost-limits` ones here. */
  parameters?: Array<{ vhost: string; component: string; name: string; value: Record<string, number> }>
  /** Warren's own key: RabbitMQ's definitions files do not carry operator policies. */
  operator_policies?: Definitions['policies']
  policies?: Array<{
    vhost: string
    name: string
    pattern: string
    'apply-to': string
    priority: number
    definition: Record<string, unknown>
  }>
  exchanges?: Array<{
    name: string
    vhost: string
    type: string
    durable: boolean
    auto_delete: boolean
    internal: boolean
    arguments: Record<string, unknown>
  }>
  queues?: Array<{
    name: string
    vhost: string
    durable: boolean
    auto_delete: boolean
    arguments: Record<string, unknown>
  }>
  bindings?: Array<{
    source: string
    vhost: string
    destination: string
    destination_type: 'queue' | 'exchange'
    routing_key: string
    arguments: Record<string, unknown>
  }>
}

export interface DefinitionStore {
  load(): Promise<Definitions | undefined>
  /** Replaces the stored definitions atomically: after a crash the old or the new state, never a mix. */
  save(defs: Definitions): Promise<void>
}

export type Access = 'configure' | 'write' | 'read'
export type ResourceKind = 'exchange' | 'queue'
/** What a topic permission governs: publishing with a routing key (write), binding with a key (read). */
export type TopicAccess = 'write' | 'read'

/**
 * Resource permissions: RabbitMQ's configure, write and read expressions per user and vhost. The
 * implementation (auth/) matches them once, for every front end.
 */
export interface Authorizer {
  /** Throws RabbitMQ's 403 (AccessRefusedError) unless `user` may `access` the resource. */
  check(user: string, vhost: string, access: Access, kind: ResourceKind, name: string): void
  /** The user's permission in the vhost as an object whose identity changes with it (callers cache by it). */
  grant(user: string, vhost: string): object | undefined
  /**
   * The user's topic permissions in the vhost as an object whose identity changes with them, or
   * undefined when there are none, the usual case: then no routing key needs checking.
   */
  topicGrant(user: string, vhost: string): object | undefined
  /**
   * Throws RabbitMQ's 403 unless the user's topic permission for the (topic) exchange, if there is one,
   * lets it publish with (write) or bind with (read) this routing key.
   */
  checkTopic(user: string, vhost: string, access: TopicAccess, exchange: string, routingKey: string): void
}

// ---- streams ----

/**
 * Messages a front end appends in its own wire form, stored and read back as they came: the core and the
 * store never look inside `data` (a StreamBatchDecoder does, when something needs the messages).
 */
export interface EncodedBatch {
  /** `count` messages, back to back, in the front end's encoding. */
  readonly data: Buffer
  readonly count: number
}

/**
 * Encoded batches as a reader gets them back: batches appended one after another may have been written
 * as one chunk, their data back to back, so a front end's encoding must allow that (osiris's entries do).
 */
export interface StoredBatch extends EncodedBatch {
  /** CRC-32 (zlib's polynomial) of data, which recovery checks and a front end may send on. */
  readonly crc: number
}

/** The messages of an encoded batch of the stream `stream` (registered by boot with the front end's codec). */
export type StreamBatchDecoder = (batch: EncodedBatch, stream: string) => PersistedMessage[]

/**
 * A run of consecutive stream messages written together: RabbitMQ's chunk (first offset, count,
 * timestamp). A reader gets whole chunks, which a Stream-protocol front end can send as they are. A chunk
 * holds either messages (appended one by one) or one encoded batch (appended whole).
 */
export interface StreamChunk {
  /** The offset of the first message returned (the reader's nextOffset when it read the chunk). */
  readonly firstOffset: number
  /** When the chunk was written, in ms since the epoch. */
  readonly timestamp: number
  /** Messages returned, from firstOffset on. */
  readonly count: number
  /** Set for a chunk of messages: those from firstOffset on. */
  readonly messages?: readonly PersistedMessage[] | undefined
  /** Set for a chunk written from batches: all of it, whose first `skip` messages precede firstOffset. */
  readonly encoded?: StoredBatch | undefined
  readonly skip: number
}

/** Where a reader starts, resolved by the log (RabbitMQ's x-stream-offset specifications). */
export type StreamStart =
  | { readonly kind: 'first' }
  /** The first message of the last chunk written. */
  | { readonly kind: 'last' }
  /** Whatever is written after the reader attaches. */
  | { readonly kind: 'next' }
  | { readonly kind: 'offset'; readonly offset: number }
  /** The first chunk written at or after this time (ms since the epoch). */
  | { readonly kind: 'timestamp'; readonly at: number }

export interface StreamRetention {
  /** The log keeps at most this many bytes, less the active segment (x-max-length-bytes). */
  readonly maxBytes: number | undefined
  /** Segments whose newest chunk is older than this many ms go (x-max-age). */
  readonly maxAgeMs: number | undefined
}

/**
 * What the Stream protocol tracks on the server, kept with the stream it concerns (RabbitMQ writes it into
 * the stream): offsets consumers stored by reference, and the last publishing id of named publishers.
 */
export interface StreamTrackingData {
  readonly offsets: Readonly<Record<string, number>>
  readonly sequences: Readonly<Record<string, number>>
}

/** Reads a stream log forwards, a chunk at a time. */
export interface StreamReader {
  /** The offset of the next message it returns. */
  readonly nextOffset: number
  /**
   * The next chunk from nextOffset (messages before nextOffset left out), or undefined when nothing is
   * committed past it yet. Never returns a message that is not fsynced.
   */
  read(): Promise<StreamChunk | undefined>
  close(): void
}

/**
 * The durable log of one stream: messages get consecutive offsets from 0, are grouped into chunks as they
 * are written (one chunk per group commit), and stay until retention drops the oldest segment whole.
 * Acknowledgements never remove anything.
 */
export interface StreamLog {
  /** The offset of the oldest message kept (equal to nextOffset when empty). */
  readonly firstOffset: number
  /** The offset the next message appended gets. */
  readonly nextOffset: number
  /** Messages below it are on disk and readable. */
  readonly committedOffset: number
  /** Bytes the log takes on disk. */
  readonly bytes: number
  /** Appends a message; returns its offset. Written with whatever else is appended this turn. */
  append(msg: PersistedMessage): number
  /**
   * Appends a batch; returns its first offset. Written with this turn's appends, in a chunk of its own
   * or with the batches appended just before or after it (never with messages appended one by one).
   */
  appendEncoded(batch: EncodedBatch): number
  /** Resolves once everything appended before the call is fsynced (group commit). */
  flush(): Promise<void>
  /** Called each time committedOffset moves on. */
  onCommit(listener: () => void): void
  /** The offset a reader attached with `start` begins at. */
  resolveStart(start: StreamStart): Promise<number>
  openReader(offset: number): StreamReader
  setRetention(r: StreamRetention): void
  /** The tracking data last saved (read when the log was opened; empty when none). */
  readonly tracking: StreamTrackingData
  /** Replaces the saved tracking data; resolves once it is on disk (whole, old or new after a crash). */
  saveTracking(t: StreamTrackingData): Promise<void>
  close(): Promise<void>
  /** Deletes everything the log stored. */
  destroy(): Promise<void>
}

export interface StreamLogOptions {
  /** A new segment starts once the current one reaches this size (x-stream-max-segment-size-bytes). */
  readonly maxSegmentBytes: number
  readonly retention: StreamRetention
}

/** Where stream queues keep their logs. */
export interface StreamStore {
  /** Opens (recovering what is on disk) or creates the log of a stream queue. */
  open(vhost: string, queue: string, opts: StreamLogOptions): StreamLog
  close(): Promise<void>
}
