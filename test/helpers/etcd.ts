// A real etcd (Debian's etcd-server) for the cluster tests: one member, or a three-member cluster for the
// etcd-loss tests, on free loopback ports with fresh data directories, stopped and removed afterwards. A
// missing etcd fails with the command that installs it (.ci/run does): skipping would hide clustering
// that no longer works.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ETCD = '/usr/bin/etcd'

export interface RunningEtcd {
  /** The client URLs of every member, comma-separated (what --cluster-etcd takes). */
  readonly url: string
  readonly members: EtcdMember[]
  stop(): Promise<void>
}

/** Ports handed out by this process: the kernel may offer a just-closed port again. */
const handedOut = new Set<number>()

/** A loopback port nobody listens on now, never one this process was given before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const s = createServer()
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
    const port = (s.address() as { port: number }).port
    await new Promise((r) => s.close(r))
    if (handedOut.has(port)) continue
    handedOut.add(port)
    return port
  }
}

export class EtcdMember {
  private child: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()

  constructor(
    readonly name: string,
    readonly url: string,
    readonly peerUrl: string,
    private readonly dataDir: string,
    private readonly initialCluster: string,
    private readonly prefix: string[] = [],
  ) {}

  start(): void {
    const [cmd, ...pre] = [...this.prefix, ETCD]
    const child = spawn(
      cmd as string,
      [
        ...pre,
        `--name=${this.name}`,
        `--data-dir=${this.dataDir}`,
        `--listen-client-urls=${this.url}`,
        `--advertise-client-urls=${this.url}`,
        `--listen-peer-urls=${this.peerUrl}`,
        `--initial-advertise-peer-urls=${this.peerUrl}`,
        `--initial-cluster=${this.initialCluster}`,
        '--initial-cluster-state=new',
      ],
      { stdio: 'ignore' },
    )
    this.child = child
    this.exited = new Promise<void>((r) => child.once('exit', () => r()))
  }

  async healthy(ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms
    for (;;) {
      const ok = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) }).then(
        async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true',
        () => false,
      )
      if (ok) return
      if (Date.now() > deadline || this.child?.exitCode !== null) {
        this.child?.kill('SIGKILL')
        throw new Error(`etcd member ${this.name} not healthy on ${this.url}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill(signal)
    await this.exited
  }
}

/** `prefix` runs the members under a command (a network namespace: ['ip', 'netns', 'exec', NAME]). */
export async function startEtcd(
  members = 1,
  host = '127.0.0.1',
  prefix: string[] = [],
): Promise<RunningEtcd> {
  if (!existsSync(ETCD)) {
    throw new Error(
      `etcd is not installed at ${ETCD}; the cluster tests need it. ` +
        'Install it with `apt-get update && apt-get install -y etcd-server` (.ci/run does this).',
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'warren-etcd-'))
  const specs: Array<{ name: string; url: string; peerUrl: string }> = []
  for (let i = 0; i < members; i++) {
    const name = `e${i}`
    specs.push({
      name,
      url: `http://${host}:${await freePort()}`,
      peerUrl: `http://${host}:${await freePort()}`,
    })
  }
  const initial = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',')
  const all = specs.map((s) => new EtcdMember(s.name, s.url, s.peerUrl, join(dir, s.name), initial, prefix))
  for (const m of all) m.start()
  try {
    await Promise.all(all.map((m) => m.healthy()))
  } catch (err) {
    await Promise.all(all.map((m) => m.kill()))
    throw err
  }
  return {
    url: specs.map((s) => s.url).join(','),
    members: all,
    stop: async () => {
      await Promise.all(all.map((m) => m.kill('SIGTERM')))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
