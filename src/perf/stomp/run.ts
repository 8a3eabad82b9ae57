// `warren perf stomp`: consumers first, then producers, on one /queue/ destination (a new, auto-deleted
// queue per run unless --destination names one). The rates are counted over the window (`duration`, or
// until a counted run is all received); then producers stop and the run waits (up to `drain` seconds,
// less once nothing moves) for what is still on its way, and a message receipted (with a window) or sent
// (without) that no consumer got counts as lost.
import type { Headers } from '../../stomp/index.js'
import { CpuMeter } from '../broker-stats.js'
import { brokerRssMb, type RateSample, startRateTicker } from '../rate-ticker.js'
import { drainUntil, sum, waitForWindow } from '../settle.js'
import { clientCpuPct, r1, r3 } from '../util.js'
import { parseStompUri, redactStompUri, StompPerfConnection } from './connection.js'
import { StompConsumer, type StompAckMode } from './consumer.js'
import { StompProducer } from './producer.js'

export interface StompRunOptions {
  readonly uri: string
  readonly producers: number
  readonly consumers: number
  readonly size: number
  /** SEND frames per socket write. */
  readonly batch: number
  /** Most unreceipted messages per producer; 0: no receipts. */
  readonly window: number
  readonly ack: StompAckMode
  readonly prefetch: number
  /** Messages per producer; 0 runs for `duration`. */
  readonly count: number
  readonly duration: number
  readonly drain: number
  readonly destination?: string | undefined
  readonly brokerPid?: number | undefined
  readonly onProgress?: ((p: StompProgress) => void) | undefined
}

export type StompProgress = RateSample

export interface StompRunResult {
  mode: 'stomp'
  uri: string
  destination: string
  options: Record<string, number | string>
  elapsed_s: number
  sent: number
  receipted: number
  received: number
  rates: { sent: number; received: number }
  /** After the drain: messages receipted (or, with no window, sent) that no consumer got. */
  lost: number
  duplicates: number
  client_cpu_pct: number
  broker_cpu_pct?: number
  broker_rss_mb?: number
  errors: string[]
}

interface Run {
  readonly destination: string
  readonly producers: StompProducer[]
  readonly consumers: StompConsumer[]
  readonly errors: string[]
}

/** The run's queue: not durable, deleted with its last consumer, open to every connection. */
const QUEUE_HEADERS: Headers = [
  ['durable', 'false'],
  ['auto-delete', 'true'],
  ['exclusive', 'false'],
]

export async function runStomp(o: StompRunOptions): Promise<StompRunResult> {
  const run = await setUp(o)
  try {
    return await measure(o, run)
  } finally {
    await Promise.allSettled([...run.producers, ...run.consumers].map((x) => x.conn.close()))
  }
}

async function setUp(o: StompRunOptions): Promise<Run> {
  const uri = parseStompUri(o.uri)
  const destination = o.destination ?? `/queue/perf-stomp-${process.pid}-${Date.now().toString(36)}`
  const run: Run = { destination, producers: [], consumers: [], errors: [] }
  const opened: StompPerfConnection[] = []
  const open = async (what: string): Promise<StompPerfConnection> => {
    const conn = await StompPerfConnection.open(uri)
    opened.push(conn)
    conn.onError = (err) => run.errors.push(`${what}: ${err.message}`)
    return conn
  }
  const common = { destination, queueHeaders: QUEUE_HEADERS }
  try {
    for (let i = 0; i < o.consumers; i++) {
      const c = new StompConsumer(await open(`consumer ${i}`), { ...o, ...common, sequenced: o.size >= 8 })
      run.consumers.push(c)
      await c.subscribe()
    }
    for (let i = 0; i < o.producers; i++)
      run.producers.push(new StompProducer(await open(`producer ${i}`), i, { ...o, ...common }))
  } catch (err) {
    await Promise.allSettled(opened.map((c) => c.close()))
    throw err
  }
  return run
}

const sent = (run: Run): number => sum(run.producers, (p) => p.sent)
const receipted = (run: Run): number => sum(run.producers, (p) => p.receipted)
const received = (run: Run): number => sum(run.consumers, (c) => c.received)
const owed = (o: StompRunOptions, run: Run): number => (o.window > 0 ? receipted(run) : sent(run))
const allReceived = (o: StompRunOptions, run: Run): boolean =>
  run.producers.every((p) => p.inFlight === 0) && sum(run.consumers, (c) => c.unique) >= owed(o, run)

async function measure(o: StompRunOptions, run: Run): Promise<StompRunResult> {
  const cpu0 = process.cpuUsage()
  const brokerCpu = o.brokerPid !== undefined ? new CpuMeter(o.brokerPid) : undefined
  const t0 = performance.now()
  for (const p of run.producers) p.start()
  const ticker = startRateTicker(
    o.brokerPid,
    t0,
    () => ({ sent: sent(run), received: received(run) }),
    (r) => o.onProgress?.(r),
  )
  const done = (): boolean => run.producers.every((p) => p.done) && allReceived(o, run)
  await waitForWindow(t0, o.duration, o.count > 0, done, run.errors)
  const elapsed = (performance.now() - t0) / 1000
  const counts = { sent: sent(run), receipted: receipted(run), received: received(run) }
  const clientCpu = clientCpuPct(cpu0, elapsed * 1000)
  const brokerCpuPct = brokerCpu?.sample()
  clearInterval(ticker)
  for (const p of run.producers) p.stop()
  const progress = (): number => received(run) + receipted(run)
  await drainUntil(
    () => allReceived(o, run),
    progress,
    () => run.errors.length > 0,
    o.drain,
  )
  const result: StompRunResult = {
    mode: 'stomp',
    uri: redactStompUri(o.uri),
    destination: run.destination,
    options: optionsOf(o),
    elapsed_s: r3(elapsed),
    ...counts,
    rates: { sent: r1(counts.sent / elapsed), received: r1(counts.received / elapsed) },
    lost: Math.max(0, owed(o, run) - sum(run.consumers, (c) => c.unique)),
    duplicates: sum(run.consumers, (c) => c.duplicates),
    client_cpu_pct: clientCpu,
    errors: run.errors,
  }
  if (brokerCpuPct !== undefined) result.broker_cpu_pct = brokerCpuPct
  const rss = brokerRssMb(o.brokerPid)
  if (rss !== undefined) result.broker_rss_mb = rss
  return result
}

function optionsOf(o: StompRunOptions): Record<string, number | string> {
  const { producers, consumers, size, batch, window, ack, prefetch, count } = o
  const opts = { producers, consumers, size, batch, window, ack, prefetch, count }
  return { ...opts, duration_s: o.duration, drain_s: o.drain }
}
