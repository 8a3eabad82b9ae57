// A node's part in cluster coordination through etcd (issue 12, step 1): it registers itself under a
// lease, campaigns for the leader key, and follows whoever holds it. etcd holds coordination data only.
//
//   /warren/<cluster>/nodes/<node>   the node's address, under its lease (gone when the node is)
//   /warren/<cluster>/leader         the leader's name, under its lease; its create revision is the epoch
//   /warren/<cluster>/in-sync        {epoch, nodes}: written only by the leader of that epoch (fenced)
//
// No split brain: a leader that has not renewed its lease for half of its length stops being leader
// (onStepDown), while the lease still has the other half to run before etcd can give the key to another
// node. Only a node named in the in-sync set (or any node, before a first set is written) may campaign.
import type { Logger } from '../shared/index.js'
import { EtcdGateway, type KeyValue } from './etcd-gateway.js'

export interface CoordinatorOptions {
  etcd: EtcdGateway
  cluster: string
  node: string
  /** How other nodes reach this one (its replication listener), stored with its registration. */
  address: string
  /** More about the node for the others (its client listeners), stored with its registration. */
  info?: Record<string, string>
  /** Whether this node's copy may serve as the cluster's state (false during a full sync). */
  eligible?: () => boolean
  /** Lease length, seconds (LavinMQ uses 10). Renewed every sixth of it. */
  leaseTtl?: number
  logger?: Logger
  /** This node won the leader key: serve clients, fencing with `epoch`. */
  onLeader?: (epoch: number) => void
  /** Another node leads (its name and address), or none does right now (undefined). */
  onFollower?: (leader: string | undefined) => void
  /** This node was leader and must stop serving now (why). */
  onStepDown?: (reason: string) => void
  /**
   * Checked before each lease renewal: a node whose disk has stalled must not keep its lease (LavinMQ's
   * "zombie leader"). Rejecting, or not settling within a third of the lease, skips the renewal.
   */
  probe?: () => Promise<void>
}

export type Role = 'leader' | 'follower' | 'stopped'

export interface Member {
  name: string
  address: string
  info: Record<string, string>
}

export class Coordinator {
  role: Role = 'stopped'
  /** The leader key's create revision while this node leads. */
  epoch = 0
  leader: string | undefined
  private lease = ''
  private renewTimer: ReturnType<typeof setInterval> | undefined
  private deadlineTimer: ReturnType<typeof setInterval> | undefined
  private watching: AbortController | undefined
  /** When the lease was last renewed (or granted), by this process's clock. */
  private renewedAt = 0
  private closed = false
  private readonly ttl: number
  private readonly prefix: string

  constructor(private readonly o: CoordinatorOptions) {
    this.ttl = o.leaseTtl ?? 10
    this.prefix = `/warren/${o.cluster}/`
  }

  async start(): Promise<void> {
    const sentAt = Date.now()
    this.lease = await this.o.etcd.grantLease(this.ttl)
    this.renewedAt = sentAt
    const me = JSON.stringify({ ...this.o.info, address: this.o.address })
    await this.o.etcd.put(`${this.prefix}nodes/${this.o.node}`, me, this.lease)
    // Without a lease: the cluster remembers its nodes while they are down (listed as not running).
    await this.o.etcd.put(`${this.prefix}members/${this.o.node}`, me)
    this.role = 'follower'
    // Six renewals per lease, so that one slow or failed renewal (a dead etcd member, a disk probe held up
    // by other writers) is followed by another well before half the lease, when a leader must stop.
    this.renewTimer = setInterval(() => void this.renew(), (this.ttl * 1000) / 6)
    this.renewTimer.unref()
    this.deadlineTimer = setInterval(() => this.checkDeadline(), (this.ttl * 1000) / 10)
    this.deadlineTimer.unref()
    await this.campaign()
  }

  /** Leaves the cluster: the lease is revoked, so a leader key goes at once and another node takes over. */
  async stop(): Promise<void> {
    const wasLeader = this.role === 'leader'
    this.closed = true
    this.halt()
    if (wasLeader) this.o.onStepDown?.('stopping')
    await this.o.etcd.revoke(this.lease).catch(() => undefined)
  }

  async members(): Promise<Member[]> {
    const kvs = await this.o.etcd.getPrefix(`${this.prefix}nodes/`)
    return kvs.map((kv) => {
      const { address, ...info } = JSON.parse(kv.value) as Record<string, string>
      return { name: kv.key.slice(`${this.prefix}nodes/`.length), address: address ?? '', info }
    })
  }

  /** Every node that ever joined and was not forgotten, running or not. */
  async knownNodes(): Promise<string[]> {
    const kvs = await this.o.etcd.getPrefix(`${this.prefix}members/`)
    return kvs.map((kv) => kv.key.slice(`${this.prefix}members/`.length))
  }

  /** Removes a node that is gone for good from the cluster's list (`forget_cluster_node`). */
  async forget(node: string): Promise<void> {
    await this.o.etcd.delete(`${this.prefix}members/${node}`)
  }

  /** The in-sync set, as the last leader wrote it. */
  async inSync(): Promise<{ epoch: number; nodes: string[] } | undefined> {
    const kv = await this.o.etcd.get(`${this.prefix}in-sync`)
    return kv ? (JSON.parse(kv.value) as { epoch: number; nodes: string[] }) : undefined
  }

  /** Records the in-sync set; false when this node no longer leads (the write is fenced by the epoch). */
  async setInSync(nodes: readonly string[]): Promise<boolean> {
    if (this.role !== 'leader') return false
    const value = JSON.stringify({ epoch: this.epoch, nodes: [...nodes].sort() })
    return this.o.etcd.putIfCreated(`${this.prefix}leader`, this.epoch, `${this.prefix}in-sync`, value)
  }

  private async campaign(): Promise<void> {
    if (this.closed || this.role === 'stopped') return
    const set = await this.inSync()
    if (set && !set.nodes.includes(this.o.node)) {
      // Not in sync: it may not lead; it follows whoever does.
      const kv = await this.o.etcd.get(`${this.prefix}leader`)
      return this.follow(kv)
    }
    if (!(await this.healthy()) || this.o.eligible?.() === false) {
      // A node whose disk does not answer, or whose copy is incomplete, may not lead either.
      const kv = await this.o.etcd.get(`${this.prefix}leader`)
      return this.follow(kv)
    }
    const { created, kv } = await this.o.etcd.createIfAbsent(`${this.prefix}leader`, this.o.node, this.lease)
    // Two campaigns at once (a watch and a recheck): the one that lost finds the key is this node's.
    if (created || (kv.value === this.o.node && kv.lease === this.lease)) return this.lead(kv)
    this.follow(kv)
  }

  private lead(kv: KeyValue): void {
    if (this.role === 'leader' && this.epoch === kv.createRevision) return
    this.role = 'leader'
    this.epoch = kv.createRevision
    this.leader = this.o.node
    this.o.logger?.info({ epoch: this.epoch }, `node ${this.o.node} leads cluster ${this.o.cluster}`)
    this.o.onLeader?.(this.epoch)
  }

  private follow(kv: KeyValue | undefined): void {
    this.role = 'follower'
    this.leader = kv?.value
    this.o.onFollower?.(this.leader)
    this.watchLeader()
  }

  /** When the leader key goes (its node stopped or lost its lease), campaign again. */
  private watchLeader(): void {
    this.watching?.abort()
    const ac = (this.watching = new AbortController())
    let gone = false
    void this.o.etcd
      .watch(
        `${this.prefix}leader`,
        (value) => {
          if (value === undefined && !gone) {
            gone = true
            ac.abort()
          } else if (value !== undefined && value !== this.leader && this.role === 'follower') {
            // A leader was elected while this node could not campaign (or had no leader to follow).
            this.leader = value
            this.o.onFollower?.(value)
          }
        },
        ac.signal,
      )
      .then(() => {
        if (this.watching !== ac || this.role === 'stopped') return
        // The leader went, or the watch broke: look again (a campaign re-reads the key either way).
        setTimeout(
          () => void this.campaign().catch((err: unknown) => this.campaignFailed(err)),
          gone ? 0 : 500,
        )
      })
  }

  private campaignFailed(err: unknown): void {
    this.o.logger?.warn({ err: (err as Error).message }, 'campaign for cluster leader failed; retrying')
    if (!this.closed)
      setTimeout(() => void this.campaign().catch((e: unknown) => this.campaignFailed(e)), 1000)
  }

  /**
   * Whether this node may act as leader right now: it holds the key and renewed its lease less than half
   * a lease ago. Checked synchronously before anything a client is told (a process resumed after a pause
   * runs other callbacks before its timers notice the lease is gone).
   */
  get leadingNow(): boolean {
    return this.role === 'leader' && Date.now() - this.renewedAt <= (this.ttl * 1000) / 2
  }

  private async healthy(): Promise<boolean> {
    if (!this.o.probe) return true
    return withTimeout(this.o.probe(), (this.ttl * 1000) / 3).then(
      () => true,
      () => false,
    )
  }

  private async renew(): Promise<void> {
    try {
      if (this.o.probe) await withTimeout(this.o.probe(), (this.ttl * 1000) / 3)
      // The lease runs from when etcd renewed it, which is no earlier than the request: an answer read
      // late (a busy event loop, a slow network) must not stretch how long this node believes it leads.
      const sentAt = Date.now()
      const ttl = await this.o.etcd.keepAlive(this.lease)
      if (ttl > 0) {
        // Renewals may overlap (a slow one and the next): the latest request sent counts.
        this.renewedAt = Math.max(this.renewedAt, sentAt)
        if (this.role === 'follower') await this.recheckLeader()
        return
      }
      // The lease is gone (it expired while this node was cut off): start over with a new one.
      if (this.role === 'leader') this.stepDown('lease expired')
      else void this.rejoin()
    } catch {
      // etcd unreachable or the probe failed: checkDeadline decides when this stops being safe.
    }
  }

  /**
   * A follower also looks at the leader key with every renewal: a watch through an etcd member that hangs
   * (rather than closing) would never tell it that the leader went.
   */
  private async recheckLeader(): Promise<void> {
    const kv = await this.o.etcd.get(`${this.prefix}leader`)
    if (this.role !== 'follower') return
    if (!kv) {
      this.watching?.abort()
      this.watching = undefined
      await this.campaign()
    } else if (kv.value !== this.leader) {
      this.leader = kv.value
      this.o.onFollower?.(kv.value)
    }
  }

  private checkDeadline(): void {
    if (this.role === 'leader' && !this.leadingNow) this.stepDown('lease not renewed for half its length')
  }

  private stepDown(reason: string): void {
    this.o.logger?.warn(`node ${this.o.node} stops leading cluster ${this.o.cluster}: ${reason}`)
    this.role = 'follower'
    this.leader = undefined
    this.epoch = 0
    this.o.onStepDown?.(reason)
    void this.rejoin()
  }

  /** After stepping down: a new lease and registration, then follow (or lead) again. */
  private async rejoin(): Promise<void> {
    this.halt()
    while (!this.closed) {
      try {
        await this.start()
        return
      } catch {
        this.halt()
        await new Promise((r) => setTimeout(r, 1000))
      }
    }
  }

  private halt(): void {
    this.role = 'stopped'
    if (this.renewTimer) clearInterval(this.renewTimer)
    if (this.deadlineTimer) clearInterval(this.deadlineTimer)
    this.renewTimer = this.deadlineTimer = undefined
    this.watching?.abort()
    this.watching = undefined
  }
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    p.then(
      () => (clearTimeout(t), resolve()),
      (err: unknown) => (clearTimeout(t), reject(err)),
    )
  })
}
