// x-message-deduplication, as the message-deduplication plugin defines it: a fanout exchange that routes a
// message whose `x-deduplication-header` value it has seen (within `x-cache-size` keys and their TTL)
// nowhere; the publisher's confirm still acks it (it was handled), a mandatory one comes back NO_ROUTE as
// the plugin's empty route returns it, and it never goes to an alternate exchange.
//
// Unlike the plugin, a durable exchange keeps its keys in its store (one small record per key, its TTL as
// the record's expiry), so a publisher that resends after a crash or kill -9 still gets one copy. A key
// is stored only once the queues its first copy reached have it on disk, and that copy's confirm waits
// for the key too: a crash in between loses no confirmed message (the unconfirmed copy is resent and
// routed again; at worst it is then there twice, never zero times).
import type { Message } from '../../message.js'
import type { QueueStore } from '../../ports.js'
import type { DurabilityTicket } from '../../queue-types/queue.js'
import {
  type Binding,
  type Destination,
  type EnqueueWatcher,
  Exchange,
  type ExchangeOptions,
  removeFrom,
  type RouteSink,
} from '../exchange.js'
import type { ExchangeHost, ExchangeType } from '../exchange-type.js'
import {
  CACHE_PERSISTENCE,
  CACHE_SIZE,
  CACHE_TTL,
  DEDUP_HEADER,
  dedupKey,
  messageCacheTtl,
  positiveInt,
  validateDedupExchangeArgs,
} from './dedup-args.js'
import { type CacheEntry, DedupCache } from './dedup-cache.js'

const NO_PROPERTIES = {}

interface KeyBatch {
  keys: string[]
  entries: CacheEntry[]
  tickets: DurabilityTicket[]
}

function emptyBatch(): KeyBatch {
  return { keys: [], entries: [], tickets: [] }
}

export class DedupExchange extends Exchange implements EnqueueWatcher {
  readonly type: string = 'x-message-deduplication'
  override readonly routesPerMessage = true
  /** Duplicates routed nowhere since the exchange was declared (or the broker started). */
  deduplicated = 0
  private readonly dests: Destination[] = []
  private readonly cache: DedupCache
  private readonly store: QueueStore | undefined
  /** The key whose first copy is being enqueued now, waiting to hear its queues' tickets. */
  private awaitingKey = ''
  private awaitingEntry: CacheEntry | undefined
  /** Keys of this turn whose first copies are enqueued, and the tickets those copies wait for. */
  private batch: KeyBatch = emptyBatch()
  private settleSoon = false
  /** Every batch started so far has its keys appended to the store. */
  private settled: Promise<void> = Promise.resolve()
  /** What a confirm waits for: every key stored so far is on disk. */
  private readonly keysSafe: DurabilityTicket = { flush: () => this.whenKeysSafe() }

  constructor(
    opts: ExchangeOptions,
    private readonly host: ExchangeHost,
  ) {
    super(opts)
    const size = positiveInt(this.setting(CACHE_SIZE)) as number
    this.cache = new DedupCache(size, host.clock, (e) => this.forget(e))
    this.store = this.setting(CACHE_PERSISTENCE) === 'memory' ? undefined : host.exchangeStore(this)
  }

  /** Keys in the cache (the management API's cache size). */
  get cacheSize(): number {
    return this.cache.size
  }

  /** How many keys the cache keeps at most. */
  get cacheCapacity(): number {
    return this.cache.capacity
  }

  /** The exchange's TTL for keys (ms), if any. */
  get cacheTtl(): number | undefined {
    return positiveInt(this.setting(CACHE_TTL))
  }

  /** An argument, else the policy's key of the same name. */
  private setting(name: string): unknown {
    return this.args[name] ?? this.policy?.definition[name]
  }

  route(msg: Message, _routingKey: string, sink: RouteSink): void {
    const headers = msg.properties.headers
    const key = headers === undefined ? undefined : dedupKey(headers[DEDUP_HEADER])
    if (key !== undefined) {
      this.settleUnheard()
      if (this.cache.get(key) !== undefined) {
        this.deduplicated++
        return sink.hold(this.store !== undefined && msg.persistent ? this.keysSafe : undefined)
      }
      const ttl = messageCacheTtl(headers as NonNullable<typeof headers>) ?? this.cacheTtl
      const entry = this.cache.add(key, ttl === undefined ? Infinity : this.host.clock.now() + ttl, -1)
      if (this.store) {
        this.awaitingKey = key
        this.awaitingEntry = entry
        sink.watch(this)
      }
    }
    const d = this.dests
    for (let i = 0; i < d.length; i++) sink.add(d[i] as Destination)
  }

  /**
   * The first copy of the awaited key is in its queues: the key joins this turn's batch, stored once
   * the batch's queue tickets are on disk. One promise per batch, not per message: a confirm flushes
   * `keysSafe` once per turn, and keys nobody confirms are stored on the next turn anyway.
   */
  enqueued(tickets: readonly DurabilityTicket[]): DurabilityTicket | undefined {
    const key = this.awaitingKey
    const entry = this.awaitingEntry
    this.settleUnheard()
    if (entry === undefined) return undefined
    if (tickets.length === 0) {
      this.storeKey(key, entry)
      return undefined
    }
    const batch = this.batch
    batch.keys.push(key)
    batch.entries.push(entry)
    for (let i = 0; i < tickets.length; i++) {
      const t = tickets[i] as DurabilityTicket
      if (!batch.tickets.includes(t)) batch.tickets.push(t)
    }
    if (!this.settleSoon) {
      this.settleSoon = true
      setImmediate(this.settleBatchNow)
    }
    return this.keysSafe
  }

  /** Starts storing the batch: once its queues' copies are on disk, its keys are appended. */
  private settleBatch(): Promise<void> {
    this.settleSoon = false
    const batch = this.batch
    if (batch.keys.length === 0) return this.settled
    this.batch = emptyBatch()
    const copies =
      batch.tickets.length === 1
        ? (batch.tickets[0] as DurabilityTicket).flush()
        : Promise.all(batch.tickets.map((t) => t.flush()))
    const stored = copies.then(
      () => {
        for (let i = 0; i < batch.keys.length; i++)
          this.storeKey(batch.keys[i] as string, batch.entries[i] as CacheEntry)
      },
      () => undefined, // a copy is not on disk: its keys stay in memory only, a resend is routed again
    )
    this.settled = Promise.all([this.settled, stored]).then(() => undefined)
    return this.settled
  }
  private readonly settleBatchNow = (): void => void this.settleBatch()

  /** A route that was never followed by enqueued() (dead-lettering): its key stays in memory only. */
  private settleUnheard(): void {
    this.awaitingKey = ''
    this.awaitingEntry = undefined
  }

  private storeKey(key: string, entry: CacheEntry): void {
    const store = this.store
    if (!store || this.deleted || this.cache.get(key) !== entry) return // evicted or expired meanwhile
    const expiresAt = entry.expiresAt === Infinity ? undefined : entry.expiresAt
    entry.storeId = store.append(
      { exchange: '', routingKey: '', properties: NO_PROPERTIES, body: Buffer.from(key) },
      expiresAt,
    )
  }

  private whenKeysSafe(): Promise<void> {
    const store = this.store as QueueStore
    return this.settleBatch().then(() => store.flush())
  }

  /** A key left the cache: its record goes too. */
  private forget(e: CacheEntry): void {
    if (e.storeId >= 0 && !this.deleted) this.store?.remove(e.storeId)
    e.storeId = -1
  }

  protected indexAdd(b: Binding): void {
    this.dests.push(b.destination)
  }

  protected indexRemove(b: Binding): void {
    removeFrom(this.dests, b.destination)
  }

  override get heldCount(): number {
    return 0
  }

  override get hearsRecoveredCopies(): boolean {
    return this.store !== undefined
  }

  /**
   * A queue recovered a copy this exchange routed. Its key may not have reached the store (the key is
   * stored after the copy is on disk, and the broker died in between): it is taken again here, so a
   * publisher that resends the unconfirmed message does not get a second copy. Its TTL starts again now.
   */
  override copyRecovered(msg: Message): void {
    const headers = msg.properties.headers
    const key = headers === undefined ? undefined : dedupKey(headers[DEDUP_HEADER])
    if (key === undefined || this.cache.get(key) !== undefined) return
    const ttl = messageCacheTtl(headers as NonNullable<typeof headers>) ?? this.cacheTtl
    this.recoveredCopies.push(
      this.cache.add(key, ttl === undefined ? Infinity : this.host.clock.now() + ttl, -1),
    )
  }
  private recoveredCopies: CacheEntry[] = []

  /** Loads the keys of a durable exchange, oldest first; expired ones leave the store. */
  override async recover(): Promise<void> {
    const store = this.store
    if (!store) return
    const now = this.host.clock.now()
    await store.recover((m) => {
      const expiresAt = m.expiresAt ?? Infinity
      const key = m.body.toString()
      // A record wins over a recovered copy's key and over an earlier record of the key (stored again
      // after it expired); an expired record still says the key is free.
      this.cache.delete(key)
      if (expiresAt <= now) return store.remove(m.id)
      this.cache.add(key, expiresAt, m.id)
    })
    // Keys known only from recovered copies are stored now (a stored record of the key replaced them).
    for (const e of this.recoveredCopies) if (this.cache.get(e.key) === e) this.storeKey(e.key, e)
    this.recoveredCopies = []
  }

  override dispose(): void {
    this.cache.clear(true)
    this.settleUnheard()
  }

  override stop(): void {
    this.cache.stop()
  }
}

export const dedupExchangeType: ExchangeType = {
  name: 'x-message-deduplication',
  description: 'Message Deduplication Exchange.',
  create: (opts, host) => new DedupExchange(opts, host),
  validate: (opts) => validateDedupExchangeArgs(opts.args),
}
