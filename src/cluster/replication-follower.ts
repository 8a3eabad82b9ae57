// The follower's side of replication: it connects to the leader's cluster port, replaces its copy with the
// leader's snapshot (checked against the leader's checksums), then applies the live operations to its own
// stores and acknowledges each batch once it is fsynced. Its data directory then holds what the leader
// would recover after a restart, so that it can take over by starting a broker on it.
import { createHash, type Hash } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import type { Definitions, QueueStore } from '../core/index.js'
import type { Logger } from '../shared/index.js'
import {
  ackFrame,
  LINK_TIMEOUT,
  type AppendFields,
  FRAME_TYPE,
  type Frame,
  FrameReader,
  hashMessage,
  jsonFrame,
} from './replication-frames.js'

/** The node's own stores, as boot opens them for a follower. */
export interface LocalStores {
  /** A queue's store, usable at once (it opens in the background). */
  openQueue(vhost: string, queue: string): QueueStore
  saveDefinitions(defs: Definitions | null): Promise<void>
  close(): Promise<void>
}

export interface ReplicationFollowerOptions {
  node: string
  cluster: string
  logger: Logger
  /**
   * Empties the data directory and opens fresh stores on it. `syncing` marks the directory as not a
   * complete copy (such a node may not lead) until the snapshot is verified and on disk.
   */
  openFresh(): Promise<LocalStores>
  markSyncing(syncing: boolean): Promise<void>
}

interface StoreCopy {
  store: QueueStore
  /** The leader's message ids to this node's. */
  ids: Map<number, number>
  hash: Hash | undefined
  count: number
}

export class ReplicationFollower {
  state: 'idle' | 'snapshot' | 'live' = 'idle'
  /** The last live operation applied. */
  seq = 0
  /** The last sequence number acknowledged to the leader. */
  acked = 0
  leader: string | undefined
  private address: string | undefined
  private socket: Socket | undefined
  private local: LocalStores | undefined
  private readonly copies = new Map<number, StoreCopy>()
  private frames: Frame[] = []
  private pumping = false
  private touched = new Set<QueueStore>()
  private io: Promise<unknown>[] = []
  private acks: Promise<void> = Promise.resolve()
  private defsSave: Promise<void> = Promise.resolve()
  private stopped = false
  private retry: NodeJS.Timeout | undefined

  private lastReceived = Date.now()
  private readonly watchdog: NodeJS.Timeout

  constructor(private readonly o: ReplicationFollowerOptions) {
    // A link the leader stopped answering on (a partition drops packets rather than closing anything).
    this.watchdog = setInterval(() => {
      // (or a connection attempt that no answer ends).
      if (this.socket && !this.socket.destroyed && Date.now() - this.lastReceived > LINK_TIMEOUT) {
        this.o.logger.warn('nothing heard from the leader: reconnecting')
        this.socket.destroy()
      }
    }, 1000)
    this.watchdog.unref()
  }

  /** Follows the leader at host:port (replacing any previous one). */
  follow(leader: string, address: string): void {
    if (this.stopped || (this.address === address && this.socket)) return
    this.leader = leader
    this.address = address
    this.socket?.destroy()
    this.connect()
  }

  private connect(): void {
    if (this.retry) clearTimeout(this.retry)
    this.retry = undefined
    this.socket?.destroy()
    // What the old connection delivered and was not applied yet belongs to a stream that is over.
    this.frames = []
    if (this.stopped || !this.address) return
    const [host, port] = splitAddress(this.address)
    const socket = (this.socket = connect({ host, port }))
    socket.setNoDelay(true)
    const reader = new FrameReader()
    this.lastReceived = Date.now()
    socket.on('connect', () => {
      this.lastReceived = Date.now()
      socket.write(jsonFrame(FRAME_TYPE.hello, { node: this.o.node, cluster: this.o.cluster }))
    })
    socket.on('data', (chunk: Buffer) => {
      this.lastReceived = Date.now()
      try {
        reader.push(chunk, (f) => this.frames.push(f))
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, 'bad replication stream from the leader')
        socket.destroy()
        return
      }
      void this.pump(socket)
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      if (this.socket !== socket || this.stopped) return
      this.socket = undefined
      this.frames = []
      this.retry = setTimeout(() => {
        this.retry = undefined
        if (!this.socket) this.connect()
      }, 500)
    })
  }

  private async pump(socket: Socket): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      while (this.frames.length > 0 && this.socket === socket) {
        const wait = this.apply(this.frames.shift() as Frame, socket)
        if (wait) await wait
      }
      if (this.state === 'live' && this.socket === socket) this.acknowledge(socket)
    } catch (err) {
      this.o.logger.error(
        { err: (err as Error).message },
        'replication from the leader failed; starting over',
      )
      socket.destroy()
    } finally {
      this.pumping = false
    }
    if (this.frames.length > 0 && this.socket === socket) void this.pump(socket)
  }

  /** Applies one frame; a returned promise holds the next ones back until it settles. */
  private apply(f: Frame, socket: Socket): Promise<void> | undefined {
    if (f.type === FRAME_TYPE.heartbeat) {
      if (this.state === 'live') socket.write(ackFrame(this.acked))
      return undefined
    }
    if (f.type === FRAME_TYPE.begin) return this.begin(f.leader, f.epoch)
    if (this.state === 'idle') throw new Error('replication stream without a snapshot')
    if (f.type === FRAME_TYPE.end) return this.end(f.seq, f.checksums, socket)
    if (this.state === 'live') this.seq++
    switch (f.type) {
      case FRAME_TYPE.definitions:
        return void this.saveDefinitions(JSON.parse(f.json) as Definitions | null)
      case FRAME_TYPE.open:
        return void this.copies.set(f.store, {
          store: (this.local as LocalStores).openQueue(f.vhost, f.queue),
          ids: new Map(),
          hash: this.state === 'snapshot' ? createHash('sha1') : undefined,
          count: 0,
        })
      case FRAME_TYPE.append:
        return void this.append(f)
      case FRAME_TYPE.delivered:
      case FRAME_TYPE.remove:
        return void this.settle(f.type, f.store, f.id)
      case FRAME_TYPE.destroy:
        return void this.destroy(f.store)
      default:
        throw new Error(`unexpected replication frame type ${f.type}`)
    }
  }

  private async begin(leader: string, epoch: number): Promise<void> {
    this.o.logger.info({ epoch }, `full sync from the leader ${leader} begins`)
    this.state = 'snapshot'
    await this.settleIo()
    this.copies.clear()
    await this.o.markSyncing(true)
    await this.local?.close()
    this.local = undefined
    this.local = await this.o.openFresh()
  }

  private async end(seq: number, checksums: Record<string, string>, socket: Socket): Promise<void> {
    for (const [id, copy] of this.copies) {
      const mine = `${copy.count}:${copy.hash?.digest('hex') ?? ''}`
      copy.hash = undefined
      if (checksums[id] !== undefined && checksums[id] !== mine)
        throw new Error(
          `snapshot checksum mismatch for store ${id}: ${mine} here, ${checksums[id]} on the leader`,
        )
    }
    await this.settleIo()
    await this.o.markSyncing(false)
    this.state = 'live'
    this.seq = this.acked = seq
    socket.write(ackFrame(seq))
    this.o.logger.info({ seq }, `full sync from the leader done and verified: following its changes`)
  }

  private append(f: AppendFields): void {
    const copy = this.copy(f.store)
    const msg = {
      exchange: f.exchange,
      routingKey: f.routingKey,
      properties: {},
      rawProperties: f.rawProperties,
      body: f.body,
    }
    // The stored form is the raw property bytes: the decoded properties are not needed to store them.
    const local = copy.store.append(msg, f.expiresAt === 0 ? undefined : f.expiresAt)
    copy.ids.set(f.id, local)
    if (f.delivered) void copy.store.markDelivered(local)
    if (copy.hash) {
      hashMessage(copy.hash, f)
      copy.count++
    }
    this.touched.add(copy.store)
  }

  private settle(type: number, store: number, id: number): void {
    const copy = this.copies.get(store)
    const local = copy?.ids.get(id)
    if (!copy || local === undefined) return // removed before the snapshot read it
    if (type === FRAME_TYPE.delivered) void copy.store.markDelivered(local)
    else {
      copy.store.remove(local)
      copy.ids.delete(id)
    }
    this.touched.add(copy.store)
  }

  private destroy(store: number): void {
    const copy = this.copies.get(store)
    if (!copy) return
    this.copies.delete(store)
    this.touched.delete(copy.store)
    this.io.push(copy.store.destroy().catch((err: unknown) => this.ioFailed(err)))
  }

  private copy(store: number): StoreCopy {
    const copy = this.copies.get(store)
    if (!copy) throw new Error(`operation on store ${store}, which the leader never opened`)
    return copy
  }

  /** Definitions are saved one at a time, the latest winning (each save replaces the whole file). */
  private saveDefinitions(defs: Definitions | null): void {
    const local = this.local as LocalStores
    const save = this.defsSave.then(() => local.saveDefinitions(defs))
    this.defsSave = save.catch(() => undefined)
    this.io.push(save)
  }

  /** Everything applied so far, on disk: the flushes of the stores touched and the pending writes. */
  private settleIo(): Promise<void> {
    const stores = [...this.touched]
    this.touched = new Set()
    const io = this.io
    this.io = []
    return Promise.all([...stores.map((s) => s.flush()), ...io]).then(() => undefined)
  }

  /** Acknowledges what is applied so far once it is fsynced, in order. */
  private acknowledge(socket: Socket): void {
    const seq = this.seq
    if (seq <= this.acked) return
    const durable = this.settleIo()
    this.acks = Promise.all([this.acks, durable]).then(
      () => {
        if (seq <= this.acked || this.socket !== socket) return
        this.acked = seq
        socket.write(ackFrame(seq))
      },
      (err: unknown) => {
        this.ioFailed(err)
        socket.destroy()
      },
    )
  }

  private ioFailed(err: unknown): void {
    this.o.logger.error({ err: (err as Error).message }, 'writing the replicated copy failed')
  }

  /** Stops following; the copy on disk stays (the node may be about to lead on it). */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.watchdog)
    if (this.retry) clearTimeout(this.retry)
    this.socket?.destroy()
    this.socket = undefined
    await this.acks.catch(() => undefined)
    await this.settleIo().catch(() => undefined)
    await this.local?.close()
    this.local = undefined
  }
}

export function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':')
  return [address.slice(0, at).replace(/^\[|\]$/g, ''), Number(address.slice(at + 1))]
}
