// Connection churn: workers open a connection (handshake and one channel), close it, and go again, for
// `duration` seconds. Reports completed open+close cycles per second and how long the opens took.
import { PerfConnection } from './connection.js'
import { LatencyHistogram, type LatencySummary } from './histogram.js'
import { parseAmqpUri, redactUri } from './uri.js'
import { clientCpuPct, r1, sleep } from './util.js'

export interface ChurnOptions {
  readonly uri: string
  readonly duration: number
  /** Workers opening and closing in parallel. */
  readonly concurrency: number
  readonly onProgress?: ((p: ChurnProgress) => void) | undefined
}

export interface ChurnProgress {
  elapsed_s: number
  connections_per_s: number
  failures: number
}

export interface ChurnResult {
  mode: 'churn'
  uri: string
  options: Record<string, number>
  elapsed_s: number
  /** Connections opened and closed again. */
  connections: number
  failures: number
  rates: { connections: number }
  /** Time from connect() to channel.open-ok. */
  open_latency: LatencySummary | null
  client_cpu_pct: number
  errors: string[]
}

export async function runChurn(o: ChurnOptions): Promise<ChurnResult> {
  const uri = parseAmqpUri(o.uri)
  const opens = new LatencyHistogram()
  const errors = new Set<string>()
  let done = 0
  let failures = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const deadline = t0 + o.duration * 1000
  const worker = async (w: number): Promise<void> => {
    while (performance.now() < deadline) {
      const t = performance.now()
      try {
        const conn = await PerfConnection.open(uri, { name: `perf churn ${w}`, timeoutMs: 10_000 })
        opens.record(performance.now() - t)
        await conn.close()
        done++
      } catch (err) {
        failures++
        if (errors.size < 10) errors.add((err as Error).message)
        await sleep(10) // a refusing broker must not turn this into a busy loop
      }
    }
  }
  let last = { t: t0, done: 0 }
  const timer = o.onProgress
    ? setInterval(() => {
        const t = performance.now()
        o.onProgress?.({
          elapsed_s: Math.round((t - t0) / 100) / 10,
          connections_per_s: r1((done - last.done) / ((t - last.t) / 1000)),
          failures,
        })
        last = { t, done }
      }, 1000)
    : undefined
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)))
  clearInterval(timer)
  const elapsed = (performance.now() - t0) / 1000
  return {
    mode: 'churn',
    uri: redactUri(o.uri),
    options: { duration_s: o.duration, concurrency: o.concurrency },
    elapsed_s: Math.round(elapsed * 1000) / 1000,
    connections: done,
    failures,
    rates: { connections: r1(done / elapsed) },
    open_latency: opens.count > 0 ? opens.summary() : null,
    client_cpu_pct: clientCpuPct(cpu0, elapsed * 1000),
    errors: [...errors],
  }
}
