// A cluster node (`warren server --cluster-etcd URL`): it takes part in the election through etcd, and
// either leads — runs the broker on its data directory, with every store change replicated — or follows —
// keeps a verified copy of the leader's data directory and passes client connections through to it.
// Changing role is one transition at a time, in the order etcd decided them.
import { createServer, type Server } from 'node:net'
import { existsSync } from 'node:fs'
import { mkdir, open, rm } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import {
  ClientProxy,
  Coordinator,
  EtcdGateway,
  ReplicatedDefinitionStore,
  ReplicatedMessageStore,
  ReplicationFollower,
  ReplicationLeader,
} from '../cluster/index.js'
import { resolveConfig, type WarrenConfig } from '../config/index.js'
import { createLogger, type Logger } from '../shared/index.js'
import { lockDataDir } from './data-dir-lock.js'
import { clusterView } from './cluster-view.js'
import { openFollowerStores } from './follower-stores.js'
import { defaultNodeName, type RunningBroker, type StartOptions, startBroker } from './start-broker.js'
import { listenError } from './listeners.js'

/** Present while a full sync runs: the copy is incomplete and the node may not lead. */
const SYNC_MARKER = 'cluster-sync.incomplete'

export interface RunningClusterNode {
  readonly name: string
  readonly logger: Logger
  readonly config: WarrenConfig
  /** 'leader' once its broker serves clients. */
  readonly role: 'leader' | 'follower' | 'starting'
  /** The broker, while this node leads. */
  readonly broker: RunningBroker | undefined
  close(): Promise<void>
}

export async function startClusterNode(opts: StartOptions): Promise<RunningClusterNode> {
  const { logger: givenLogger, ...rest } = opts
  const config = resolveConfig(rest)
  const logger = givenLogger ?? createLogger({ level: config.logLevel, pretty: process.stdout.isTTY })
  const node = new ClusterNode({ ...opts, logger }, config, logger)
  await node.start()
  return node
}

class ClusterNode implements RunningClusterNode {
  readonly name: string
  role: 'leader' | 'follower' | 'starting' = 'starting'
  broker: RunningBroker | undefined
  private replication: ReplicationLeader | undefined
  private follower: ReplicationFollower | undefined
  private proxy: ClientProxy | undefined
  private leaderName: string | undefined
  private leaderInfo: Record<string, string> = {}
  private transitions: Promise<void> = Promise.resolve()
  private coordinator!: Coordinator
  private listener: Server | undefined
  private unlock: (() => Promise<void>) | undefined
  private readonly dir: string
  private readonly advertise: string
  private closed = false

  constructor(
    private readonly opts: StartOptions,
    readonly config: WarrenConfig,
    readonly logger: Logger,
  ) {
    this.name = config.nodeName ?? defaultNodeName()
    this.dir = resolve(config.dataDir)
    // The address other nodes and the proxies use: the bound address when one was named.
    this.advertise = config.bind && !['0.0.0.0', '::'].includes(config.bind) ? config.bind : hostname()
  }

  async start(): Promise<void> {
    const c = this.config
    await mkdir(this.dir, { recursive: true })
    this.unlock = await lockDataDir(this.dir)
    this.listener = createServer((s) => (this.replication ? this.replication.accept(s) : s.destroy()))
    await new Promise<void>((res, rej) => {
      this.listener?.once('error', (err) => rej(listenError('cluster', err, c.bind, c.clusterPort)))
      this.listener?.listen(c.clusterPort, c.bind, () => res())
    })
    const at = (port: number): string => `${this.advertise}:${port}`
    this.coordinator = new Coordinator({
      etcd: new EtcdGateway(
        (c.clusterEtcd ?? '')
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean),
      ),
      cluster: c.clusterName,
      node: this.name,
      address: at(c.clusterPort),
      info: {
        amqp: at(c.amqpPort),
        http: at(c.httpPort),
        prometheus: at(c.prometheusPort),
        ...(c.tlsPort !== undefined ? { amqps: at(c.tlsPort) } : {}),
      },
      leaseTtl: c.clusterLease,
      logger: this.logger,
      probe: () => probeDisk(this.dir),
      eligible: () => !existsSync(join(this.dir, SYNC_MARKER)),
      onLeader: (epoch) => this.enqueue(() => this.lead(epoch)),
      onFollower: (leader) => this.enqueue(() => this.follow(leader)),
      onStepDown: (reason) => this.enqueue(() => this.stepDown(reason)),
    })
    this.logger.info(
      { etcd: c.clusterEtcd, clusterPort: c.clusterPort },
      `node ${this.name} joins cluster ${c.clusterName}`,
    )
    await this.coordinator.start()
  }

  private enqueue(step: () => Promise<void>): void {
    this.transitions = this.transitions.then(step).catch((err: unknown) => {
      this.logger.error({ err }, `cluster node ${this.name}: ${(err as Error).message}`)
    })
  }

  private async lead(epoch: number): Promise<void> {
    if (this.closed || this.coordinator.role !== 'leader' || this.broker) return
    await this.stopFollowing()
    // Followers of the last epoch re-sync from this node before they count again (and may lead again).
    if (!(await this.coordinator.setInSync([this.name]))) return
    const replication = new ReplicationLeader({
      node: this.name,
      cluster: this.config.clusterName,
      epoch,
      logger: this.logger,
      setInSync: (nodes) => this.coordinator.setInSync(nodes),
    })
    const leading = (): boolean => this.coordinator.leadingNow
    this.broker = await this.startLeaderBroker(replication, leading).catch(async (err: unknown) => {
      // A leader that cannot serve gives the lead away rather than hold it.
      replication.stop()
      await this.coordinator.stop()
      throw err
    })
    this.replication = replication
    this.role = 'leader'
    this.logger.info({ epoch }, `node ${this.name} serves clients as the cluster's leader`)
  }

  private startLeaderBroker(replication: ReplicationLeader, leading: () => boolean): Promise<RunningBroker> {
    return startBroker({
      ...this.opts,
      cluster: {
        stores: {
          messages: (own) => new ReplicatedMessageStore(own, replication, leading),
          definitions: (own) => new ReplicatedDefinitionStore(own, replication, leading),
        },
        view: () => clusterView(this.coordinator, replication, this.name, this.config.clusterName),
        forget: (node) => this.coordinator.forget(node),
      },
    })
  }

  private async follow(leader: string | undefined): Promise<void> {
    if (this.closed) return
    await this.stopLeading('another node leads the cluster')
    this.role = 'follower'
    this.leaderName = leader
    const members = leader ? await this.coordinator.members() : []
    const me = members.find((m) => m.name === leader)
    this.leaderInfo = me?.info ?? {}
    await this.startProxy()
    if (!leader || !me) return
    this.follower ??= new ReplicationFollower({
      node: this.name,
      cluster: this.config.clusterName,
      logger: this.logger,
      openFresh: () => openFollowerStores(this.dir, this.logger),
      markSyncing: (on) => markSyncing(this.dir, on),
    })
    this.follower.follow(leader, me.address)
    this.logger.info(`node ${this.name} follows ${leader}`)
  }

  private async stepDown(reason: string): Promise<void> {
    await this.stopLeading(`the node stopped leading the cluster: ${reason}`)
  }

  private async stopLeading(reason: string): Promise<void> {
    const broker = this.broker
    this.replication?.stop()
    this.replication = undefined
    this.broker = undefined
    if (broker) {
      await broker.close(reason)
      // The broker released the data directory's lock: this node keeps holding it.
      this.unlock = await lockDataDir(this.dir)
    }
  }

  private async stopFollowing(): Promise<void> {
    await this.proxy?.close()
    this.proxy = undefined
    await this.follower?.stop()
    this.follower = undefined
  }

  private async startProxy(): Promise<void> {
    if (this.proxy) return
    const c = this.config
    const proxy = new ClientProxy(this.logger)
    const target = (key: string) => (): string | undefined => this.leaderInfo[key]
    await proxy.listen([
      { name: 'AMQP', port: c.amqpPort, host: c.bind, target: target('amqp') },
      { name: 'HTTP', port: c.httpPort, host: c.httpBind ?? c.bind, target: target('http') },
      {
        name: 'Prometheus',
        port: c.prometheusPort,
        host: c.prometheusBind ?? c.bind,
        target: target('prometheus'),
      },
      // TLS is passed through as it is: the leader's certificate answers.
      ...(c.tlsPort !== undefined
        ? [{ name: 'AMQPS', port: c.tlsPort, host: c.bind, target: target('amqps') }]
        : []),
    ])
    this.proxy = proxy
  }

  async close(): Promise<void> {
    this.closed = true
    await this.transitions
    await this.coordinator.stop()
    await this.transitions
    await this.stopLeading('broker shutdown')
    await this.stopFollowing()
    await new Promise<void>((r) => (this.listener ? this.listener.close(() => r()) : r()))
    await this.unlock?.()
  }
}

/** A write and fsync in the data directory: a leader whose disk stalls must not keep its lease. */
async function probeDisk(dir: string): Promise<void> {
  const fh = await open(join(dir, '.cluster-probe'), 'w')
  try {
    await fh.write(String(Date.now()))
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** The marker is durable (its directory entry fsynced) before the copy is wiped, and after it is complete. */
async function markSyncing(dir: string, on: boolean): Promise<void> {
  const path = join(dir, SYNC_MARKER)
  if (on) {
    const fh = await open(path, 'w')
    await fh.sync()
    await fh.close()
  } else await rm(path, { force: true })
  const d = await open(dir, 'r')
  try {
    await d.sync()
  } finally {
    await d.close()
  }
}
