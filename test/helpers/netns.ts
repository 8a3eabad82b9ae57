// Network partitions for the cluster soak: each node in its own network namespace, and etcd in another
// (namespace 0), each joined to the host by its own veth pair (10.<tag>.<i>.0/24: the host end .1, the
// namespace's end .2) and routed through the host. Taking a node's link down cuts it off from etcd, the
// other nodes and the clients at once, as a pulled cable does. Needs root and `ip` (iproute2);
// available() says whether this machine allows it. Routed rather than bridged, and etcd not on the host
// itself: the development VM has no working bridge and drops what namespaces send to the host.
import { execFileSync } from 'node:child_process'

/**
 * Names and addresses are this process's own (from its pid), so that two test runs on one machine (two
 * worktrees, say) never remove or reuse each other's namespaces.
 */
const TAG = 100 + (process.pid % 150)
const NET = `10.${TAG}`
const name = (i: number): string => `w${TAG}s${i}`

/** etcd's address, in namespace 0. */
export const ETCD_IP = `${NET}.0.2`
export const etcdNamespace = (): string => name(0)

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore' })
}

function quietly(f: () => void): void {
  try {
    f()
  } catch {
    // already gone
  }
}

export class Partitions {
  private constructor(private readonly size: number) {}

  static available(): boolean {
    try {
      ip('netns', 'add', `${name(0)}p`)
      ip('netns', 'del', `${name(0)}p`)
      return true
    } catch {
      return false
    }
  }

  /** Removes whatever a setUp left (a failed one included). */
  static tearDownAll(size: number): void {
    new Partitions(size).tearDown()
  }

  static setUp(size: number): Partitions {
    const p = new Partitions(size)
    p.tearDown()
    execFileSync('sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
    for (let i = 0; i <= size; i++) {
      const [ns, h, n] = [name(i), `${name(i)}h`, `${name(i)}n`]
      ip('netns', 'add', ns)
      ip('link', 'add', h, 'type', 'veth', 'peer', 'name', n)
      ip('link', 'set', n, 'netns', ns)
      ip('addr', 'add', `${NET}.${i}.1/24`, 'dev', h)
      ip('link', 'set', h, 'up')
      ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${p.hostOf(i)}/24`, 'dev', n)
      ip('netns', 'exec', ns, 'ip', 'link', 'set', n, 'up')
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up')
      ip('netns', 'exec', ns, 'ip', 'route', 'add', 'default', 'via', `${NET}.${i}.1`)
    }
    return p
  }

  hostOf(i: number): string {
    return `${NET}.${i}.2`
  }

  /** Where node i runs: its address and the command that puts it in its namespace. */
  place(i: number): { host: string; prefix: string[] } {
    return { host: this.hostOf(i), prefix: ['ip', 'netns', 'exec', name(i)] }
  }

  isolate(i: number): void {
    ip('link', 'set', `${name(i)}h`, 'down')
  }

  heal(i: number): void {
    ip('link', 'set', `${name(i)}h`, 'up')
  }

  /** heal() for the clean-up after a failure: a link already gone must not hide the failure. */
  healQuietly(i: number): void {
    quietly(() => this.heal(i))
  }

  tearDown(): void {
    for (let i = 0; i <= this.size; i++) {
      quietly(() => ip('link', 'del', `${name(i)}h`))
      quietly(() => ip('netns', 'del', name(i)))
    }
  }
}
