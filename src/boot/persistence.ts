// Keeps durable state on disk: definitions (vhosts and their limits, users and their limits, permissions,
// topic permissions, durable exchanges, queues and bindings, policies) through a DefinitionStore, and persistent messages of durable queues through a MessageStore.
// Definition saves are coalesced: changes made while a save runs go into the next one, and settled()
// tells a caller when everything changed so far is on disk.
import { HASHING_ALGORITHM, type UserRegistry } from '../auth/index.js'
import {
  type Broker,
  type Definitions,
  type DefinitionStore,
  type DurabilityListener,
  exchangeStoreName,
  exportPolicies,
  exportTopology,
  exportVhostLimits,
  importPolicies,
  importTopology,
  importVhostLimits,
  type Exchange,
  type Message,
  type MessageStore,
  type Queue,
  type QueueStore,
  type VHost,
} from '../core/index.js'
import { checkUserPattern, isNoSpace, type Logger, NoSpaceError } from '../shared/index.js'
import { DeferredQueueStore } from '../store/index.js'
import { DefinitionSaver } from './definition-saver.js'

export class Persistence implements DurabilityListener {
  private loading = false
  private readonly saver: DefinitionSaver
  private readonly inFlight = new Set<Promise<unknown>>()

  /** The stores handed out: of durable queues, and paging stores of non-durable ones. */
  private readonly stores = new Map<Queue, QueueStore>()
  private readonly pagingStores = new Map<Queue, QueueStore>()
  /** The stores of durable exchanges that keep messages (delayed ones), by vhost and exchange name. */
  private readonly exchangeStores = new Map<string, QueueStore>()

  constructor(
    private readonly broker: Broker,
    private readonly users: UserRegistry,
    private readonly definitions: DefinitionStore,
    private readonly messages: MessageStore,
    private readonly logger: Logger,
    /** Releases the data directory's lock when the broker stops. */
    private readonly unlock: () => Promise<void> = () => Promise.resolve(),
    /** Where non-durable queues page messages out under memory pressure; wiped at every start. */
    private readonly paging?: MessageStore,
  ) {
    this.saver = new DefinitionSaver(() => this.definitions.save(this.snapshot()), logger)
  }

  storeFor(q: Queue): QueueStore {
    const store = new DeferredQueueStore(this.messages.openQueue(q.vhost, q.name))
    this.stores.set(q, store)
    // A store that cannot be opened (a full disk) fails the declaration, which is then undone.
    this.track(noSpaceSaid(store.whenOpen, `the messages of queue '${q.name}'`))
    return store
  }

  queueDeleted(q: Queue): void {
    const store = this.stores.get(q) ?? this.pagingStores.get(q)
    this.stores.delete(q)
    this.pagingStores.delete(q)
    if (store)
      this.track(
        store
          .destroy()
          .catch((err: unknown) =>
            this.logger.error({ err, queue: q.name }, 'failed to delete stored messages'),
          ),
      )
  }

  exchangeStoreFor(vhost: string, exchange: string): QueueStore {
    const key = `${vhost}\u0000${exchange}`
    let store = this.exchangeStores.get(key)
    if (!store) {
      const opening = new DeferredQueueStore(this.messages.openQueue(vhost, exchangeStoreName(exchange)))
      this.track(noSpaceSaid(opening.whenOpen, `the messages of exchange '${exchange}'`))
      this.exchangeStores.set(key, (store = opening))
    }
    return store
  }

  exchangeDeleted(vhost: string, exchange: string): void {
    const key = `${vhost}\u0000${exchange}`
    const store = this.exchangeStores.get(key)
    this.exchangeStores.delete(key)
    if (store)
      this.track(
        store
          .destroy()
          .catch((err: unknown) => this.logger.error({ err, exchange }, 'failed to delete stored messages')),
      )
  }

  pagingStoreFor(q: Queue): QueueStore | undefined {
    if (!this.paging) return undefined
    let store = this.pagingStores.get(q)
    if (!store) {
      store = new DeferredQueueStore(this.paging.openQueue(q.vhost, q.name))
      this.pagingStores.set(q, store)
      this.logger.info({ vhost: q.vhost, queue: q.name }, `queue '${q.name}' pages messages out to disk`)
    }
    return store
  }

  definitionsChanged(): void {
    if (!this.loading) this.saver.changed()
  }

  /** Resolves once every change notified so far is on disk; rejects if a write failed. */
  async settled(): Promise<void> {
    await Promise.all([this.saver.settled(), ...this.inFlight])
  }

  /** Whether settled() would have to wait (lets the hot path skip a promise). */
  get busy(): boolean {
    return this.saver.busy || this.inFlight.size > 0
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p)
    p.catch(() => undefined).finally(() => this.inFlight.delete(p))
  }

  snapshot(): Definitions {
    const users = [...this.users.users.values()].map((u) => ({
      name: u.name,
      password_hash: u.passwordHash,
      hashing_algorithm: HASHING_ALGORITHM,
      tags: u.tags,
      ...(u.limits && Object.keys(u.limits).length > 0 ? { limits: { ...u.limits } } : {}),
    }))
    const permissions: NonNullable<Definitions['permissions']> = []
    for (const [vhost, byUser] of this.users.permissions) {
      for (const [user, p] of byUser) permissions.push({ user, vhost, ...p })
    }
    const topicPermissions: NonNullable<Definitions['topic_permissions']> = []
    for (const [vhost, byUser] of this.users.topicPermissions) {
      for (const [user, grant] of byUser)
        for (const p of grant.values()) topicPermissions.push({ user, vhost, ...p })
    }
    return {
      vhosts: [...this.broker.vhosts.keys()].map((name) => ({ name })),
      users,
      permissions,
      topic_permissions: topicPermissions,
      parameters: exportVhostLimits(this.broker),
      ...exportTopology(this.broker),
      policies: exportPolicies(this.broker, false),
      operator_policies: exportPolicies(this.broker, true),
    }
  }

  /**
   * Loads stored definitions and recovers every durable queue's messages, in their original order.
   * Returns false when there was nothing stored (a first start).
   */
  async recover(): Promise<boolean> {
    const defs = await this.definitions.load()
    if (!defs) return false
    this.loading = true
    try {
      for (const v of defs.vhosts ?? []) this.broker.addVhost(v.name)
      for (const u of defs.users ?? [])
        this.users.restoreUser(u.name, u.password_hash, normalizeTags(u.tags), u.limits)
      for (const p of defs.permissions ?? []) this.users.setPermission(p.user, p.vhost, p)
      for (const p of defs.topic_permissions ?? []) this.users.setTopicPermission(p.user, p.vhost, p)
      importVhostLimits(this.broker, defs.parameters)
      importTopology(this.broker, defs)
      importPolicies(this.broker, defs.policies, false, true)
      importPolicies(this.broker, defs.operator_policies, true, true)
      this.warnRefusedPatterns(defs)
    } finally {
      this.loading = false
    }
    await this.recoverMessages()
    return true
  }

  /** Stored patterns RE2 refuses (an older Warren saved them) match nothing now; say so once at start. */
  private warnRefusedPatterns(defs: Definitions): void {
    const patterns = [
      ...(defs.permissions ?? []).flatMap((p) => [p.configure, p.write, p.read]),
      ...(defs.topic_permissions ?? []).flatMap((p) => [p.write, p.read]),
      ...[...(defs.policies ?? []), ...(defs.operator_policies ?? [])].map((p) => p.pattern),
    ]
    for (const pattern of new Set(patterns)) {
      const reason = checkUserPattern(pattern)
      if (reason !== undefined) this.logger.warn({ pattern, reason }, 'stored pattern matches nothing')
    }
  }

  private async recoverMessages(): Promise<void> {
    const started = Date.now()
    let queues = 0
    let messages = 0
    const live = new Set<string>()
    // Progress for large stores: at most one line a second, checked every 64k messages.
    let lastReport = started
    let seen = 0
    let copyHeard: ((msg: Message) => void) | undefined
    const progress = (msg: Message): void => {
      copyHeard?.(msg)
      if ((++seen & 0xffff) !== 0 || Date.now() - lastReport < 1000) return
      lastReport = Date.now()
      this.logger.info(
        { queues, messages: seen },
        `recovering: ${seen} messages read in ${queues} queues so far`,
      )
    }
    for (const v of this.broker.vhosts.values()) {
      copyHeard = recoveredCopyListener(v)
      for (const q of v.queues.values()) {
        if (!this.stores.has(q)) continue
        live.add(`${v.name}\u0000${q.name}`)
        const before = q.readyCount
        await q.recover(progress)
        messages += q.readyCount - before
        queues++
        if (queues % 100 === 0) this.logger.info({ queues, messages }, `recovering: ${queues} queues done`)
      }
    }
    const held = await this.recoverExchanges(live)
    for (const { vhost, queue } of await this.messages.listQueues()) {
      if (live.has(`${vhost}\u0000${queue}`)) continue
      this.logger.warn({ vhost, queue }, 'deleting stored messages of a queue that no longer exists')
      const store = await this.messages.openQueue(vhost, queue)
      await store.destroy()
    }
    this.logger.info(
      { queues, messages, ms: Date.now() - started },
      `recovered ${messages} messages in ${queues} durable queues`,
    )
    if (held > 0) this.logger.info({ messages: held }, `recovered ${held} delayed messages`)
  }

  /** Exchanges that keep messages load them once every queue is back (a due one is routed at once). */
  private async recoverExchanges(live: Set<string>): Promise<number> {
    let held = 0
    for (const v of this.broker.vhosts.values()) {
      for (const ex of v.exchanges.values()) {
        if (!this.exchangeStores.has(`${v.name}\u0000${ex.name}`)) continue
        live.add(`${v.name}\u0000${exchangeStoreName(ex.name)}`)
        await ex.recover()
        held += ex.heldCount
      }
    }
    return held
  }

  async close(): Promise<void> {
    await this.settled().catch(() => {})
    this.saver.stop()
    const queues = [...this.broker.vhosts.values()].flatMap((v) => [...v.queues.values()])
    // Dead letters on their way out of a source queue leave it before it closes (else a clean stop keeps both).
    await Promise.all(queues.map((q) => q.movesSettled()))
    for (const store of this.stores.values()) await store.close()
    for (const store of this.exchangeStores.values()) await store.close()
    await this.messages.close()
    // Paged-out messages of non-durable queues do not outlive the process: nothing to flush.
    for (const store of this.pagingStores.values()) await store.destroy().catch(() => undefined)
    await this.paging?.close()
    await this.unlock()
  }
}

/**
 * A store that cannot be created on a full disk fails what waits on it (a declaration) with RabbitMQ's
 * 506 RESOURCE_ERROR, as a definitions save does, not with the raw ENOSPC (541): whichever of the two
 * fails first, the client reads the same answer.
 */
function noSpaceSaid(opening: Promise<void>, what: string): Promise<void> {
  return opening.catch((err: unknown) => {
    throw isNoSpace(err) && !(err instanceof NoSpaceError) ? new NoSpaceError(what, err) : err
  })
}

function normalizeTags(tags: string | string[]): string[] {
  if (Array.isArray(tags)) return tags
  return tags
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
}

/**
 * Tells the exchanges of a vhost that want it (a deduplicating one learns the keys of copies that reached
 * disk before their key did) of each recovered message first published to them; undefined when none do.
 */
function recoveredCopyListener(v: VHost): ((msg: Message) => void) | undefined {
  const hearing = new Map<string, Exchange>()
  for (const ex of v.exchanges.values()) if (ex.hearsRecoveredCopies) hearing.set(ex.name, ex)
  if (hearing.size === 0) return undefined
  return (msg) => hearing.get(msg.exchange)?.copyRecovered(msg)
}
