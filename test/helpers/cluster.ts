// Warren cluster nodes as child processes (`warren server --cluster-etcd ...`) on free loopback ports,
// each with its own data directory, so that a test can kill -9, SIGSTOP and restart them. Needs `npm run
// build` (the tests run from dist/ anyway).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort } from './etcd.js'

const WARREN = resolve('dist/src/bin/warren.js')

export interface NodeView {
  name: string
  running: boolean
  role: 'leader' | 'follower'
  in_sync: boolean
  replication_state: string
}

export class ClusterProcess {
  proc: ChildProcess | undefined
  exited: Promise<void> = Promise.resolve()
  log = ''

  constructor(
    readonly name: string,
    readonly etcdUrl: string,
    readonly ports: { amqp: number; http: number; prometheus: number; cluster: number },
    readonly dataDir: string,
    readonly lease: number,
    readonly cluster: string,
    /** The address the node binds and advertises (its network namespace's, in the partition soak). */
    readonly host = '127.0.0.1',
    /** A command the node runs under, e.g. ['ip', 'netns', 'exec', 'ns1']. */
    readonly prefix: string[] = [],
  ) {}

  get amqpUrl(): string {
    return `amqp://guest:guest@${this.host}:${this.ports.amqp}`
  }

  get httpUrl(): string {
    return `http://${this.host}:${this.ports.http}`
  }

  start(): void {
    const p = this.ports
    const args = [
      ...['server', '--cluster-etcd', this.etcdUrl, '--node-name', this.name, '--bind', this.host],
      ...['--cluster-port', String(p.cluster), '--amqp-port', String(p.amqp), '--http-port', String(p.http)],
      ...['--prometheus-port', String(p.prometheus), '--data-dir', this.dataDir, '--log-format', 'json'],
      ...['--cluster-lease', String(this.lease), '--cluster-name', this.cluster],
      // The other protocols' listeners stay off: their default ports may belong to another broker.
      ...['--stream-port', '0', '--mqtt-port', '0', '--stomp-port', '0'],
      ...['--web-mqtt-port', '0', '--web-stomp-port', '0'],
    ]
    if (this.host !== '127.0.0.1') {
      // Clients reach a node in a network namespace from another address: guest must not be loopback-only.
      mkdirSync(this.dataDir, { recursive: true })
      writeFileSync(join(this.dataDir, 'warren.conf'), 'loopback_users = none\n')
      args.push('--config', join(this.dataDir, 'warren.conf'))
    }
    const [cmd, ...pre] = [...this.prefix, process.execPath]
    const proc = (this.proc = spawn(cmd as string, [...pre, WARREN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }))
    const keep = (b: Buffer): void => {
      this.log = (this.log + b.toString()).slice(-20_000)
    }
    proc.stdout?.on('data', keep)
    proc.stderr?.on('data', keep)
    const startedAt = Date.now()
    this.exited = new Promise((r) =>
      proc.once('exit', (code) => {
        if (code === 1 && Date.now() - startedAt < 10_000 && /port \S+ is already in use/.test(this.log))
          void this.restartOnOtherPorts().then(r)
        else r()
      }),
    )
  }

  /**
   * A free port found before the start can be taken by another test's socket by the time the node binds
   * it (the suite runs two files at once): the node then starts again on other free ports.
   */
  private async restartOnOtherPorts(): Promise<void> {
    this.log += '\n(port taken at start: starting again on other ports)\n'
    Object.assign(this.ports, {
      amqp: await freePort(),
      http: await freePort(),
      prometheus: await freePort(),
      cluster: await freePort(),
    })
    this.start()
  }

  get alive(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null
  }

  /** Sends the signal and waits for the exit (SIGKILL after 10 s: a stop that hangs fails loudly later). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return
    this.proc?.kill(signal)
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), 10_000)
    await this.exited
    clearTimeout(t)
  }

  /** pid, the kernel's run state and wait channel: tells a frozen or stopped node from a busy one. */
  processState(): string {
    const pid = this.proc?.pid
    if (!this.alive || pid === undefined) return `(exited: ${this.proc?.exitCode ?? this.proc?.signalCode})`
    const read = (f: string): string => {
      try {
        return readFileSync(`/proc/${pid}/${f}`, 'utf8').trim()
      } catch {
        return '?'
      }
    }
    const state = read('stat')
      .replace(/^.*\) /, '')
      .split(' ')[0]
    return `(pid ${pid}, state ${state}, wchan ${read('wchan')})`
  }

  signal(signal: NodeJS.Signals): void {
    this.proc?.kill(signal)
  }

  /** /api/nodes as this node answers it (through its proxy when it follows), or undefined. */
  async nodes(): Promise<NodeView[] | undefined> {
    const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64')
    try {
      const r = await fetch(`${this.httpUrl}/api/nodes`, {
        headers: { authorization: auth },
        signal: AbortSignal.timeout(1000),
      })
      return r.ok ? ((await r.json()) as NodeView[]) : undefined
    } catch {
      return undefined
    }
  }
}

export class TestCluster {
  constructor(
    readonly name: string,
    readonly nodes: ClusterProcess[],
    private readonly root: string,
  ) {}

  /**
   * `name` names the cluster in etcd: one per test, so that tests sharing an etcd do not meet. `place(i)`
   * puts node i at an address, under a command prefix (a network namespace). The lease is Warren's
   * default, 5 s: a leader gives it up when not renewed for half of it, and with 3 s (1.5 s) a node of a
   * test on a loaded two-core CI machine stepped down on its own mid-test, its disk probe and etcd's
   * answer late.
   */
  static async start(
    name: string,
    size: number,
    etcdUrl: string,
    lease = 5,
    place: (i: number) => { host: string; prefix: string[] } = () => ({ host: '127.0.0.1', prefix: [] }),
  ): Promise<TestCluster> {
    const root = mkdtempSync(join(tmpdir(), 'warren-cluster-'))
    const nodes: ClusterProcess[] = []
    for (let i = 1; i <= size; i++) {
      const { host, prefix } = place(i)
      const ports = {
        amqp: await freePort(),
        http: await freePort(),
        prometheus: await freePort(),
        cluster: await freePort(),
      }
      nodes.push(
        new ClusterProcess(`n${i}@localhost`, etcdUrl, ports, join(root, `n${i}`), lease, name, host, prefix),
      )
    }
    for (const n of nodes) n.start()
    return new TestCluster(name, nodes, root)
  }

  byName(name: string): ClusterProcess {
    const n = this.nodes.find((x) => x.name === name)
    if (!n) throw new Error(`no node ${name}`)
    return n
  }

  /**
   * Waits until a running node leads and `inSync` nodes (the leader included) are in sync, as /api/nodes
   * says through any live node; returns the leader.
   */
  async settled(inSync: number, ms = 30_000): Promise<ClusterProcess> {
    const deadline = Date.now() + ms
    let last: NodeView[] | undefined
    while (Date.now() < deadline) {
      for (const n of this.nodes.filter((x) => x.alive)) {
        const view = await n.nodes()
        if (!view) continue
        last = view
        const leader = view.find((v) => v.role === 'leader' && v.running)
        const synced = view.filter((v) => v.in_sync && v.running).length
        if (leader && synced >= inSync && this.byName(leader.name).alive) return this.byName(leader.name)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(
      `cluster not settled with ${inSync} in sync within ${ms} ms: ${JSON.stringify(last)}\n${this.logs()}`,
    )
  }

  logs(): string {
    return this.nodes.map((n) => `--- ${n.name} ${n.processState()}\n${n.log.slice(-4000)}`).join('\n')
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) n.signal('SIGCONT')
    await Promise.all(this.nodes.map((n) => n.kill('SIGTERM')))
    rmSync(this.root, { recursive: true, force: true })
  }
}
