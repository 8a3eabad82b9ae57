// The leader's side of replication: it numbers every change to durable state (one sequence number per
// operation), sends it to every follower, and tells a caller when every in-sync follower holds a change.
// A follower that connects gets a snapshot first, while changes made meanwhile wait in its backlog; it
// joins the in-sync set once it has acknowledged the snapshot. A follower that drops or falls behind is
// removed from the in-sync set in etcd first, and only then does the leader stop waiting for it.
import type { Socket } from 'node:net'
import type { Definitions, QueueStore } from '../core/index.js'
import { ConnectionForcedError, type Logger } from '../shared/index.js'
import { FollowerSession } from './follower-session.js'
import { FRAME_TYPE, FrameReader, type Frame, LINK_TIMEOUT } from './replication-frames.js'

export interface ReplicationLeaderOptions {
  node: string
  cluster: string
  epoch: number
  logger: Logger
  /** Writes the in-sync set to etcd, fenced by the epoch; false once this node no longer leads. */
  setInSync(nodes: string[]): Promise<boolean>
  /** How long an in-sync follower may leave a change unacknowledged before it is dropped (ms). */
  lagTimeoutMs?: number
}

/** A stored queue the leader has open, as the snapshot of a new follower needs it. */
export interface ReplicatedStoreEntry {
  readonly id: number
  readonly vhost: string
  readonly queue: string
  /** The node's own store of the queue, once open. */
  readonly opened: Promise<QueueStore>
  /** The highest id appended so far: the snapshot sends ids up to the one it saw when it began. */
  lastId: number
  /** Destroyed: a snapshot reading it stops there (its DESTROY follows in the backlog). */
  removed: boolean
}

interface Waiter {
  seq: number
  resolve: () => void
  reject: (err: Error) => void
}

export interface FollowerStatus {
  node: string
  state: 'snapshot' | 'live'
  inSync: boolean
  /** Operations sent and not yet acknowledged. */
  lagOps: number
  /** How long the oldest unacknowledged operation has waited (ms), 0 when caught up. */
  lagMs: number
}

/** What a client waiting for a confirm gets when this node stops leading: 320, as at a shutdown. */
export class NotLeaderError extends ConnectionForcedError {}

export class ReplicationLeader {
  /** The sequence number of the last operation. */
  seq = 0
  /** The sequence number of the last operation sent to the followers. */
  private sentSeq = 0
  definitions: Definitions | undefined
  readonly stores = new Map<number, ReplicatedStoreEntry>()
  private nextStoreId = 1
  private readonly sessions = new Map<string, FollowerSession>()
  private readonly inSync = new Set<FollowerSession>()
  private waiters: Waiter[] = []
  private outgoing: Buffer[] = []
  private sendScheduled = false
  private etcdWrites: Promise<unknown> = Promise.resolve()
  private stopped = false
  private lastBeat = 0
  private readonly lagTimer: NodeJS.Timeout

  constructor(private readonly o: ReplicationLeaderOptions) {
    this.lagTimer = setInterval(() => this.checkLag(), 500)
    this.lagTimer.unref()
  }

  newStoreId(): number {
    return this.nextStoreId++
  }

  /** Queues an operation (one sequence number) for every follower. */
  send(...chunks: Buffer[]): void {
    this.seq++
    for (const c of chunks) this.outgoing.push(c)
    if (!this.sendScheduled) {
      this.sendScheduled = true
      setImmediate(() => this.sendNow())
    }
  }

  /** Sends the operations queued so far (normally from setImmediate, batching a whole turn's changes). */
  sendNow(): void {
    this.sendScheduled = false
    const chunks = this.outgoing
    this.outgoing = []
    if (chunks.length === 0) return
    const now = Date.now()
    const before = this.sentSeq
    this.sentSeq = this.seq
    for (const s of this.sessions.values()) s.deliver(chunks, now, before)
  }

  /** Resolves once every in-sync follower has acknowledged operations up to `seq` (now if there are none). */
  replicated(seq: number = this.seq): Promise<void> {
    if (this.stopped) return Promise.reject(new NotLeaderError('this node no longer leads the cluster'))
    if (this.minAcked() >= seq) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }))
  }

  private minAcked(): number {
    let min = Infinity
    for (const s of this.inSync) if (!s.dropping && s.acked < min) min = s.acked
    return min
  }

  private release(): void {
    const min = this.minAcked()
    let k = 0
    while (k < this.waiters.length && (this.waiters[k] as Waiter).seq <= min) this.waiters[k++]?.resolve()
    if (k > 0) this.waiters = this.waiters.slice(k)
  }

  /** A follower connected to the cluster port. */
  accept(socket: Socket): void {
    socket.setNoDelay(true)
    const reader = new FrameReader()
    let session: FollowerSession | undefined
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (f) => {
          if (session) return this.onFollowerFrame(session, f)
          session = this.hello(socket, f)
        })
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, 'bad replication stream from a follower')
        socket.destroy()
      }
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      if (session) void this.drop(session, 'its connection closed')
    })
  }

  private hello(socket: Socket, f: Frame): FollowerSession | undefined {
    if (f.type !== FRAME_TYPE.hello || f.cluster !== this.o.cluster || this.stopped) {
      socket.destroy()
      return undefined
    }
    const session = new FollowerSession(f.node, socket)
    const previous = this.sessions.get(f.node)
    this.sessions.set(f.node, session)
    this.o.logger.info(`node ${f.node} connected for replication: sending a full snapshot`)
    // A node coming back must leave the in-sync set before its copy is replaced by the snapshot.
    void (previous ? this.drop(previous, 'it reconnected') : Promise.resolve())
      .then(() => this.removeFromEtcdSet(f.node))
      .then(() => session.sendSnapshot(this, this.o.node, this.o.epoch))
      .catch((err: unknown) => {
        this.o.logger.warn({ err: (err as Error).message, node: f.node }, 'snapshot to follower failed')
        socket.destroy()
      })
    return session
  }

  private onFollowerFrame(s: FollowerSession, f: Frame): void {
    if (f.type !== FRAME_TYPE.ack) throw new Error(`unexpected frame type ${f.type} from a follower`)
    s.lastHeard = Date.now()
    if (f.seq > s.acked) {
      s.acked = f.seq
      s.lastProgress = Date.now()
    }
    if (s.state === 'live' && !this.inSync.has(s) && !s.dropping && s.acked >= s.snapshotSeq) {
      void this.admit(s)
      return
    }
    this.release()
  }

  private async admit(s: FollowerSession): Promise<void> {
    this.inSync.add(s)
    this.o.logger.info(`node ${s.node} is in sync`)
    await this.writeEtcdSet()
  }

  private async removeFromEtcdSet(node: string): Promise<void> {
    for (const s of this.inSync) if (s.node === node) s.dropping = true
    if (!(await this.writeEtcdSet())) throw new NotLeaderError('this node no longer leads the cluster')
  }

  /** Writes the current in-sync set (this node and the followers not being dropped), one write at a time. */
  private writeEtcdSet(): Promise<boolean> {
    const write = this.etcdWrites.then(() => {
      const nodes = [this.o.node, ...[...this.inSync].filter((s) => !s.dropping).map((s) => s.node)]
      return this.o.setInSync(nodes)
    })
    this.etcdWrites = write.catch(() => undefined)
    return write.catch(() => false)
  }

  /** Stops waiting for a follower: it leaves the in-sync set in etcd first. */
  private async drop(s: FollowerSession, why: string): Promise<void> {
    if (s.dropping && !this.inSync.has(s)) return
    s.dropping = true
    s.close()
    if (this.sessions.get(s.node) === s) this.sessions.delete(s.node)
    if (!this.inSync.has(s)) return
    this.o.logger.warn(`node ${s.node} leaves the in-sync set: ${why}`)
    if (!(await this.writeEtcdSet())) {
      this.o.logger.error(`could not record that node ${s.node} is out of sync: confirms wait`)
      return
    }
    this.inSync.delete(s)
    this.release()
  }

  private checkLag(): void {
    const limit = this.o.lagTimeoutMs ?? 5000
    const now = Date.now()
    for (const s of this.inSync) {
      if (!s.dropping && s.acked < this.seq && now - s.lastProgress > limit)
        void this.drop(s, `no acknowledgement for ${now - s.lastProgress} ms`)
    }
    for (const s of this.sessions.values()) {
      if (s.state === 'live' && now - s.lastHeard > LINK_TIMEOUT)
        void this.drop(s, `nothing heard for ${now - s.lastHeard} ms`)
      else if (now - this.lastBeat >= 1000) s.heartbeat()
    }
    if (now - this.lastBeat >= 1000) this.lastBeat = now
  }

  status(): FollowerStatus[] {
    const now = Date.now()
    return [...this.sessions.values()].map((s) => ({
      node: s.node,
      state: s.state === 'live' ? 'live' : 'snapshot',
      inSync: this.inSync.has(s) && !s.dropping,
      lagOps: Math.max(0, this.seq - s.acked),
      lagMs: s.acked >= this.seq ? 0 : now - s.lastProgress,
    }))
  }

  /** This node stops leading: waiting callers are failed and followers disconnected. */
  stop(): void {
    this.stopped = true
    clearInterval(this.lagTimer)
    const err = new NotLeaderError('this node no longer leads the cluster')
    for (const w of this.waiters) w.reject(err)
    this.waiters = []
    for (const s of this.sessions.values()) s.close()
    this.sessions.clear()
    this.inSync.clear()
  }
}
