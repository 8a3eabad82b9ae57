// x-message-deduplication, as the message-deduplication plugin defines it: a fanout exchange that routes a
// message whose `x-deduplication-header` value it has seen (within `x-cache-size` keys and their TTL)
// nowhere; the publisher's confirm still acks it (it was handled), a mandatory one comes back NO_ROUTE as
// the plugin's empty route returns it, and it never goes to an alternate exchange.
//
// Unlike the plugin, a durable exchange keeps its keys in its store (key-records.ts: one record per batch
// of keys), so a publisher that resends after a crash or kill -9 still gets one copy. A key is stored
// only once the queues its first copy reached have it on disk, and that copy's confirm waits for the key
// too: a crash in between loses no confirmed message. The copy that reached disk without its key is
// recovered by its queue, which tells this exchange (copyRecovered): its key is taken again, so the
// publisher's resend of the unconfirmed message is not routed a second time.
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
import { DedupCache } from './dedup-cache.js'
import { decodeKeys, encodeKeys, type KeyRecord, recordExpiry } from './key-records.js'

const NO_PROPERTIES = {}

/** Keys of this turn whose first copies are enqueued, and the tickets those copies wait for. */
interface KeyBatch {
  keys: string[]
  slots: number[]
  tickets: DurabilityTicket[]
}

function emptyBatch(): KeyBatch {
  return { keys: [], slots: [], tickets: [] }
}

export class DedupExchange extends Exchange implements EnqueueWatcher {
  readonly type: string = 'x-message-deduplication'
  override readonly routesPerMessage = true
  /** Duplicates routed nowhere since the exchange was declared (or the broker started). */
  deduplicated = 0
  private readonly dests: Destination[] = []
  /** Seen keys; a slot's tag is the record that stores its key (none yet, or a memory-only cache). */
  private readonly cache: DedupCache<KeyRecord>
  private readonly store: QueueStore | undefined
  /** The key whose first copy is being enqueued now, waiting to hear its queues' tickets. */
  private awaitingKey = ''
  private awaitingSlot = -1
  private batch: KeyBatch = emptyBatch()
  private settleSoon = false
  /** Every batch started so far has its keys appended to the store. */
  private settled: Promise<void> = Promise.resolve()
  /** What a confirm waits for: every key stored so far is on disk. */
  private readonly keysSafe: DurabilityTicket = { flush: () => this.whenKeysSafe() }
  /** Slots of keys learnt from recovered queue copies, stored once the exchange's own keys are read. */
  private recoveredCopies: number[] = []

  constructor(
    opts: ExchangeOptions,
    private readonly host: ExchangeHost,
  ) {
    super(opts)
    const size = positiveInt(this.setting(CACHE_SIZE)) as number
    this.cache = new DedupCache(size, host.clock, (slot) => this.forget(slot))
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
      this.awaitingSlot = -1
      if (this.cache.find(key) >= 0) {
        this.deduplicated++
        return sink.hold(this.store !== undefined && msg.persistent ? this.keysSafe : undefined)
      }
      const slot = this.cache.add(key, this.expiryOf(headers as NonNullable<typeof headers>))
      if (this.store) {
        this.awaitingKey = key
        this.awaitingSlot = slot
        sink.watch(this)
      }
    }
    const d = this.dests
    for (let i = 0; i < d.length; i++) sink.add(d[i] as Destination)
  }

  /** When a key taken now expires: the message's own x-cache-ttl, else the exchange's, else never. */
  private expiryOf(headers: NonNullable<Message['properties']['headers']>): number {
    const ttl = messageCacheTtl(headers) ?? this.cacheTtl
    return ttl === undefined ? Infinity : this.host.clock.now() + ttl
  }

  /**
   * The first copy of the awaited key is in its queues: the key joins this turn's batch, stored once the
   * batch's queue tickets are on disk. One promise and one record per batch, not per message: a confirm
   * flushes `keysSafe` once per turn, and keys nobody confirms are stored on the next turn anyway.
   */
  enqueued(tickets: readonly DurabilityTicket[]): DurabilityTicket | undefined {
    const slot = this.awaitingSlot
    this.awaitingSlot = -1
    if (slot < 0) return undefined // a route that was never followed by enqueued() (dead-lettering)
    const batch = this.batch
    batch.keys.push(this.awaitingKey)
    batch.slots.push(slot)
    for (let i = 0; i < tickets.length; i++) {
      const t = tickets[i] as DurabilityTicket
      if (!batch.tickets.includes(t)) batch.tickets.push(t)
    }
    if (!this.settleSoon) {
      this.settleSoon = true
      setImmediate(this.settleBatchNow)
    }
    return tickets.length > 0 ? this.keysSafe : undefined
  }

  /** Starts storing the batch: once its queues' copies are on disk, its keys are appended. */
  private settleBatch(): Promise<void> {
    this.settleSoon = false
    const batch = this.batch
    if (batch.keys.length === 0) return this.settled
    this.batch = emptyBatch()
    const t = batch.tickets
    const copies =
      t.length === 0
        ? Promise.resolve()
        : t.length === 1
          ? (t[0] as DurabilityTicket).flush()
          : Promise.all(t.map((x) => x.flush()))
    const stored = copies.then(
      () => this.storeKeys(batch.keys, batch.slots),
      () => undefined, // a copy is not on disk: its keys stay in memory only, a resend is routed again
    )
    this.settled = Promise.all([this.settled, stored]).then(() => undefined)
    return this.settled
  }
  private readonly settleBatchNow = (): void => void this.settleBatch()

  /** Appends one record for the keys still in their slots (not evicted or expired meanwhile). */
  private storeKeys(keys: readonly string[], slots: readonly number[]): void {
    const store = this.store
    if (!store || this.deleted) return
    const live: number[] = []
    const liveKeys: string[] = []
    const expiries: number[] = []
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as number
      if (this.cache.keyAt(slot) !== keys[i] || this.cache.tagOf(slot) !== undefined) continue
      live.push(slot)
      liveKeys.push(keys[i] as string)
      expiries.push(this.cache.expiresAt(slot))
    }
    if (live.length === 0) return
    const body = encodeKeys(liveKeys, expiries)
    const id = store.append(
      { exchange: '', routingKey: '', properties: NO_PROPERTIES, body },
      recordExpiry(expiries),
    )
    const record: KeyRecord = { id, live: live.length }
    for (const slot of live) this.cache.setTag(slot, record)
  }

  private whenKeysSafe(): Promise<void> {
    const store = this.store as QueueStore
    return this.settleBatch().then(() => store.flush())
  }

  /** A key leaves the cache: its record goes once none of its keys is left. */
  private forget(slot: number): void {
    const record = this.cache.tagOf(slot)
    if (record === undefined || --record.live > 0 || this.deleted) return
    this.store?.remove(record.id)
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
    if (key === undefined || this.cache.find(key) >= 0) return
    this.recoveredCopies.push(this.cache.add(key, this.expiryOf(headers as NonNullable<typeof headers>)))
  }

  /** Loads the keys of a durable exchange, oldest first; records with no live key left go. */
  override async recover(): Promise<void> {
    const store = this.store
    if (!store) return
    const now = this.host.clock.now()
    await store.recover((m) => {
      const record: KeyRecord = { id: m.id, live: 0 }
      for (const { key, expiresAt } of decodeKeys(m.body)) {
        // A record wins over a recovered copy's key and over an earlier record of the key (stored again
        // after it expired); an expired one still says the key is free.
        this.cache.delete(key)
        if (expiresAt <= now) continue
        this.cache.setTag(this.cache.add(key, expiresAt), record)
        record.live++
      }
      if (record.live === 0) store.remove(m.id)
    })
    // Keys known only from recovered copies are stored now (unless a record of theirs replaced them).
    const slots = this.recoveredCopies.filter(
      (s) => this.cache.keyAt(s) !== undefined && this.cache.tagOf(s) === undefined,
    )
    this.storeKeys(
      slots.map((s) => this.cache.keyAt(s) as string),
      slots,
    )
    this.recoveredCopies = []
  }

  override dispose(): void {
    this.cache.clear(true)
    this.awaitingSlot = -1
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
