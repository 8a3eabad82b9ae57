// Idle connections: open `count` connections with one channel each, hold them, and report how much the
// broker's memory grew, per connection (S9 of the benchmark). Memory comes from /proc/<pid> (--broker-pid,
// resident set) or the management API (--mgmt-url, mem_used); without either only the open time is given.
import { memoryProbe } from './broker-stats.js'
import { PerfConnection } from './connection.js'
import { parseAmqpUri, redactUri } from './uri.js'
import { mapLimit, r1, sleep } from './util.js'

export interface ConnectionsOptions {
  readonly uri: string
  readonly count: number
  /** Opens in flight at once. */
  readonly concurrency: number
  /** Seconds to hold the connections before reading memory again. */
  readonly hold: number
  readonly brokerPid?: number | undefined
  readonly mgmtUrl?: string | undefined
  readonly onProgress?: ((p: { opened: number; failed: number }) => void) | undefined
}

export interface ConnectionsResult {
  mode: 'connections'
  uri: string
  options: Record<string, number>
  opened: number
  failed: number
  /** Seconds to open them all. */
  open_s: number
  memory_source: 'rss' | 'mem_used' | null
  memory_before_mb: number | null
  memory_after_mb: number | null
  kb_per_connection: number | null
  errors: string[]
}

const MB = 1024 * 1024

export async function runConnections(o: ConnectionsOptions): Promise<ConnectionsResult> {
  const uri = parseAmqpUri(o.uri)
  const probe = memoryProbe(o)
  const before = probe ? await probe.read() : undefined
  const errors = new Set<string>()
  const conns: PerfConnection[] = []
  let failed = 0
  const timer = o.onProgress
    ? setInterval(() => o.onProgress?.({ opened: conns.length, failed }), 1000)
    : undefined
  const t0 = performance.now()
  await mapLimit(o.count, o.concurrency, async (i) => {
    try {
      conns.push(await PerfConnection.open(uri, { name: `perf idle ${i}`, timeoutMs: 30_000 }))
    } catch (err) {
      failed++
      if (errors.size < 10) errors.add((err as Error).message)
    }
  })
  const openS = (performance.now() - t0) / 1000
  clearInterval(timer)
  await sleep(o.hold * 1000)
  const after = probe ? await probe.read() : undefined
  const lost = conns.filter((c) => c.error).length
  if (lost > 0) errors.add(`${lost} connections were closed while held`)
  await mapLimit(conns.length, o.concurrency, (i) => (conns[i] as PerfConnection).close())
  const grown =
    before !== undefined && after !== undefined && conns.length > 0
      ? (after - before) / conns.length
      : undefined
  return {
    mode: 'connections',
    uri: redactUri(o.uri),
    options: { count: o.count, concurrency: o.concurrency, hold_s: o.hold },
    opened: conns.length,
    failed,
    open_s: Math.round(openS * 1000) / 1000,
    memory_source: probe?.source ?? null,
    memory_before_mb: before === undefined ? null : r1(before / MB),
    memory_after_mb: after === undefined ? null : r1(after / MB),
    kb_per_connection: grown === undefined ? null : r1(grown / 1024),
    errors: [...errors],
  }
}
