// One follower as the leader sees it: its socket, what it has acknowledged, and while its snapshot is
// being sent, the live operations that wait behind it (they follow the snapshot, in order).
import { createHash, type Hash } from 'node:crypto'
import type { Socket } from 'node:net'
import {
  appendFrame,
  FRAME_TYPE,
  hashMessage,
  HEARTBEAT,
  jsonFrame,
  openFrame,
  rawPropertiesOf,
  textFrame,
} from './replication-frames.js'
import type { ReplicatedStoreEntry, ReplicationLeader } from './replication-leader.js'

/** Snapshot bytes allowed in the socket's buffer before the sender waits for it to drain. */
const HIGH_WATER = 8 * 1024 * 1024

export class FollowerSession {
  state: 'hello' | 'snapshot' | 'live' | 'closed' = 'hello'
  /** The last sequence number the follower acknowledged (applied and fsynced). */
  acked = -1
  /** The sequence number the snapshot stands for: the follower is in sync once it acknowledges it. */
  snapshotSeq = Infinity
  /** When the follower last acknowledged progress, or last became behind. */
  lastProgress = Date.now()
  /** Leaving: no longer counted for confirms, whatever etcd says yet. */
  dropping = false
  /** When the follower last sent anything (its answers to heartbeats included). */
  lastHeard = Date.now()
  private backlog: Buffer[] = []

  constructor(
    readonly node: string,
    private readonly socket: Socket,
  ) {}

  /** `before`: the last sequence number sent before these chunks. */
  deliver(chunks: readonly Buffer[], now: number, before: number): void {
    if (this.state === 'snapshot') {
      for (const c of chunks) this.backlog.push(c)
      return
    }
    if (this.state !== 'live') return
    // Caught up until now: the clock for falling behind starts with this batch (not with every batch,
    // or a follower that stopped answering would never be found out while changes keep coming).
    if (this.acked >= before) this.lastProgress = now
    this.socket.cork()
    for (const c of chunks) this.socket.write(c)
    this.socket.uncork()
  }

  heartbeat(): void {
    if (this.state === 'snapshot' || this.state === 'live') this.socket.write(HEARTBEAT)
  }

  close(): void {
    this.state = 'closed'
    this.backlog = []
    this.socket.destroy()
  }

  /**
   * Sends everything the leader would recover after a restart: the definitions, then every stored queue
   * with its messages (those appended up to this moment; later ones are in the backlog), then END with a
   * checksum per queue, then the backlog.
   */
  async sendSnapshot(leader: ReplicationLeader, self: string, epoch: number): Promise<void> {
    if (this.state !== 'hello') return
    // Operations numbered before this moment but not sent yet are part of the state the snapshot copies:
    // they go out now (to the other followers) rather than into this follower's backlog, where they would
    // be applied a second time and throw its count of sequence numbers off.
    leader.sendNow()
    this.state = 'snapshot'
    this.snapshotSeq = leader.seq
    const entries = [...leader.stores.values()].map((e) => ({ entry: e, lastId: e.lastId }))
    this.socket.write(jsonFrame(FRAME_TYPE.begin, { leader: self, epoch }))
    this.socket.write(textFrame(FRAME_TYPE.definitions, JSON.stringify(leader.definitions ?? null)))
    const checksums: Record<string, string> = {}
    for (const { entry, lastId } of entries) {
      if (!leader.stores.has(entry.id)) continue // deleted since: its DESTROY is in the backlog
      const hash = createHash('sha1')
      this.socket.write(openFrame(entry.id, entry.vhost, entry.queue))
      const sent = await this.sendMessages(entry, lastId, hash)
      if (sent === undefined) continue
      checksums[entry.id] = `${sent}:${hash.digest('hex')}`
      await this.drained()
      if (this.state !== 'snapshot') return
    }
    this.socket.write(jsonFrame(FRAME_TYPE.end, { seq: this.snapshotSeq, checksums }))
    const backlog = this.backlog
    this.backlog = []
    this.state = 'live'
    this.lastProgress = Date.now()
    this.socket.cork()
    for (const c of backlog) this.socket.write(c)
    this.socket.uncork()
  }

  /** The messages of one queue up to lastId; undefined when the queue went meanwhile. */
  private async sendMessages(
    e: ReplicatedStoreEntry,
    lastId: number,
    hash: Hash,
  ): Promise<number | undefined> {
    let sent = 0
    try {
      const inner = await e.opened
      await inner.recover((m) => {
        if (m.id > lastId || this.state !== 'snapshot') return
        const fields = {
          store: e.id,
          id: m.id,
          expiresAt: m.expiresAt ?? 0,
          delivered: m.delivered,
          exchange: m.exchange,
          routingKey: m.routingKey,
          rawProperties: rawPropertiesOf(m),
        }
        for (const c of appendFrame(fields, m.body)) this.socket.write(c)
        hashMessage(hash, { ...fields, body: m.body })
        sent++
      })
    } catch (err) {
      // A queue deleted while its messages were read: its DESTROY follows in the backlog.
      if (e.removed) return undefined
      throw err
    }
    return sent
  }

  private drained(): Promise<void> {
    if (this.socket.writableLength < HIGH_WATER || this.state !== 'snapshot') return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done)
        this.socket.off('close', done)
        resolve()
      }
      this.socket.on('drain', done)
      this.socket.on('close', done)
    })
  }
}
