// What the perf tool can learn about the broker besides AMQP: resident memory and CPU time from /proc when
// it runs on this machine (--broker-pid), or mem_used from the management API (/api/nodes, which both
// RabbitMQ and Warren answer; RabbitMQ's figure is the Erlang VM's allocated memory, Warren's its RSS).
import { readFileSync } from 'node:fs'

/** VmRSS of a process in bytes, or undefined when it cannot be read. */
export function processRss(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** User plus system CPU time of a process in seconds (clock ticks are 100 Hz on Linux). */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

/** mem_used of the first node in GET <mgmtUrl>/api/nodes; credentials from the URL or guest:guest. */
export async function managementMemUsed(mgmtUrl: string): Promise<number | undefined> {
  const url = new URL('api/nodes', mgmtUrl.endsWith('/') ? mgmtUrl : `${mgmtUrl}/`)
  const user = url.username ? decodeURIComponent(url.username) : 'guest'
  const pass = url.password ? decodeURIComponent(url.password) : 'guest'
  url.username = ''
  url.password = ''
  const res = await fetch(url, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` },
    signal: AbortSignal.timeout(10_000),
  })
  if (!res.ok) throw new Error(`GET ${url.href}: HTTP ${res.status}`)
  const nodes = (await res.json()) as Array<{ mem_used?: unknown }>
  const v = nodes[0]?.mem_used
  return typeof v === 'number' ? v : undefined
}

export interface MemoryProbe {
  readonly source: 'rss' | 'mem_used'
  read(): Promise<number | undefined>
}

export function memoryProbe(opts: {
  brokerPid?: number | undefined
  mgmtUrl?: string | undefined
}): MemoryProbe | undefined {
  const { brokerPid, mgmtUrl } = opts
  if (brokerPid !== undefined) return { source: 'rss', read: () => Promise.resolve(processRss(brokerPid)) }
  if (mgmtUrl !== undefined) return { source: 'mem_used', read: () => managementMemUsed(mgmtUrl) }
  return undefined
}

/** CPU % (of one core) of a process between two calls. */
export class CpuMeter {
  private lastCpu: number | undefined
  private lastAt = performance.now()

  constructor(private readonly pid: number) {
    this.lastCpu = processCpuSeconds(pid)
  }

  sample(): number | undefined {
    const cpu = processCpuSeconds(this.pid)
    const at = performance.now()
    const pct =
      cpu !== undefined && this.lastCpu !== undefined
        ? ((cpu - this.lastCpu) / ((at - this.lastAt) / 1000)) * 100
        : undefined
    this.lastCpu = cpu
    this.lastAt = at
    return pct === undefined ? undefined : Math.round(pct * 10) / 10
  }
}
