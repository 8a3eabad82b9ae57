// The leader's stores: the node's own stores, with every change also sent to the followers. flush() and
// save() resolve only when the change is on the leader's disk and every in-sync follower has it too, so
// publisher confirms, durable *-ok replies and HTTP answers (which all wait for them) mean "replicated".
// The broker core sees the same ports as on a single node.
import type {
  Definitions,
  DefinitionStore,
  MessageStore,
  PersistedMessage,
  QueueStore,
  RecoveredMessage,
  RecoverOptions,
} from '../core/index.js'
import {
  appendFrame,
  FRAME_TYPE,
  idFrame,
  openFrame,
  rawPropertiesOf,
  storeFrame,
  textFrame,
} from './replication-frames.js'
import { NotLeaderError, type ReplicatedStoreEntry, type ReplicationLeader } from './replication-leader.js'

/** What clients may be told right now: false once the lease is no longer known to be held. */
export type LeadingCheck = () => boolean

function confirmed(leader: ReplicationLeader, leading: LeadingCheck, local: Promise<void>): Promise<void> {
  return Promise.all([local, leader.replicated()]).then(() => {
    // A leader paused past its lease (SIGSTOP) wakes up here before its timers: it must not confirm.
    if (!leading()) throw new NotLeaderError('this node no longer leads the cluster')
  })
}

export class ReplicatedQueueStore implements QueueStore {
  constructor(
    private readonly inner: QueueStore,
    private readonly entry: ReplicatedStoreEntry,
    private readonly leader: ReplicationLeader,
    private readonly leading: LeadingCheck,
  ) {}

  append(msg: PersistedMessage, expiresAt?: number): number {
    const id = this.inner.append(msg, expiresAt)
    this.entry.lastId = id
    const fields = {
      store: this.entry.id,
      id,
      expiresAt: expiresAt ?? 0,
      delivered: false,
      exchange: msg.exchange,
      routingKey: msg.routingKey,
      rawProperties: rawPropertiesOf(msg),
    }
    this.leader.send(...appendFrame(fields, msg.body))
    return id
  }

  markDelivered(id: number): Promise<void> | undefined {
    this.leader.send(idFrame(FRAME_TYPE.delivered, this.entry.id, id))
    return this.inner.markDelivered(id)
  }

  remove(id: number): void {
    this.inner.remove(id)
    this.leader.send(idFrame(FRAME_TYPE.remove, this.entry.id, id))
  }

  flush(): Promise<void> {
    return confirmed(this.leader, this.leading, this.inner.flush())
  }

  read(id: number): Promise<PersistedMessage> {
    return this.inner.read(id)
  }

  readBatch(ids: readonly number[]): Promise<PersistedMessage[]> {
    return this.inner.readBatch(ids)
  }

  /**
   * A leader recovers after a failover (or a restart of the cluster): a message may have gone out from
   * the old leader before its delivered mark reached this node, so every message comes back as possibly
   * delivered (`redelivered` set), as RabbitMQ's queues do after a leader change.
   */
  recover(onMessage: (m: RecoveredMessage) => void, opts?: RecoverOptions): Promise<void> {
    return this.inner.recover((m) => {
      if (m.id > this.entry.lastId) this.entry.lastId = m.id
      onMessage(m.delivered ? m : { ...m, delivered: true })
    }, opts)
  }

  stats(): { messages: number; bytes: number } {
    return this.inner.stats()
  }

  close(): Promise<void> {
    // The broker is stopping: the followers keep their copy.
    this.leader.stores.delete(this.entry.id)
    return this.inner.close()
  }

  destroy(): Promise<void> {
    this.entry.removed = true
    this.leader.stores.delete(this.entry.id)
    this.leader.send(storeFrame(FRAME_TYPE.destroy, this.entry.id))
    return this.inner.destroy()
  }
}

export class ReplicatedMessageStore implements MessageStore {
  constructor(
    private readonly inner: MessageStore,
    private readonly leader: ReplicationLeader,
    private readonly leading: LeadingCheck,
  ) {}

  async openQueue(vhost: string, queue: string): Promise<QueueStore> {
    const id = this.leader.newStoreId()
    const opened = this.inner.openQueue(vhost, queue)
    // Known at once, so that a snapshot that starts while it opens includes it (and waits for it).
    const entry: ReplicatedStoreEntry = { id, vhost, queue, opened, lastId: 0, removed: false }
    this.leader.stores.set(id, entry)
    this.leader.send(openFrame(id, vhost, queue))
    try {
      return new ReplicatedQueueStore(await opened, entry, this.leader, this.leading)
    } catch (err) {
      entry.removed = true
      this.leader.stores.delete(id)
      this.leader.send(storeFrame(FRAME_TYPE.destroy, id))
      throw err
    }
  }

  listQueues(): Promise<Array<{ vhost: string; queue: string }>> {
    return this.inner.listQueues()
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

export class ReplicatedDefinitionStore implements DefinitionStore {
  constructor(
    private readonly inner: DefinitionStore,
    private readonly leader: ReplicationLeader,
    private readonly leading: LeadingCheck,
  ) {}

  async load(): Promise<Definitions | undefined> {
    this.leader.definitions = await this.inner.load()
    return this.leader.definitions
  }

  save(defs: Definitions): Promise<void> {
    this.leader.definitions = defs
    this.leader.send(textFrame(FRAME_TYPE.definitions, JSON.stringify(defs)))
    return confirmed(this.leader, this.leading, this.inner.save(defs))
  }
}
