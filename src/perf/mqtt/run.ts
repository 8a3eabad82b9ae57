// `warren perf mqtt`: subscribers first, then publishers, on one topic (a new one per run unless --topic
// names it); every subscriber gets every message. The rates are counted over the window (`duration`, or
// until a counted run is all received); then publishers stop and the run waits (up to `drain` seconds,
// less once nothing moves) for what is still on its way, and a message acknowledged to its publisher
// (QoS 1) or sent (QoS 0) that a subscriber never got counts as lost.
import { CpuMeter } from '../broker-stats.js'
import { brokerRssMb, type RateSample, startRateTicker } from '../rate-ticker.js'
import { LatencyHistogram, type LatencySummary } from '../histogram.js'
import { drainUntil, sum, waitForWindow } from '../settle.js'
import { clientCpuPct, r1, r3 } from '../util.js'
import { MqttPerfConnection } from './connection.js'
import { MqttPublisher } from './publisher.js'
import { MqttSubscriber } from './subscriber.js'
import { parseMqttUri, redactMqttUri } from './uri.js'

export interface MqttRunOptions {
  readonly uri: string
  readonly qos: 0 | 1
  readonly publishers: number
  readonly subscribers: number
  readonly size: number
  /** PUBLISH packets per socket write. */
  readonly batch: number
  /** QoS 1: the most unacknowledged messages per publisher. */
  readonly window: number
  /** Messages per publisher; 0 runs for `duration`. */
  readonly count: number
  /** Seconds: the window, or with `count` the longest the run may take. */
  readonly duration: number
  /** Seconds to wait after the window for messages still on their way. */
  readonly drain: number
  readonly topic?: string | undefined
  readonly brokerPid?: number | undefined
  readonly onProgress?: ((p: MqttProgress) => void) | undefined
}

export interface MqttProgress extends RateSample {
  in_flight: number
}

export interface MqttRunResult {
  mode: 'mqtt'
  uri: string
  topic: string
  options: Record<string, number | string>
  elapsed_s: number
  sent: number
  acked: number
  received: number
  rates: { sent: number; acked: number; received: number }
  /** After the drain: messages every subscriber should have had (acked for QoS 1, sent for QoS 0) but did not. */
  lost: number
  duplicates: number
  ack_latency: LatencySummary | null
  client_cpu_pct: number
  broker_cpu_pct?: number
  broker_rss_mb?: number
  errors: string[]
}

interface Run {
  readonly topic: string
  readonly publishers: MqttPublisher[]
  readonly subscribers: MqttSubscriber[]
  readonly errors: string[]
}

export async function runMqtt(o: MqttRunOptions): Promise<MqttRunResult> {
  if (o.qos === 1 && (o.window < 1 || o.window > 65535)) throw new Error('the QoS 1 window is 1..65535')
  const run = await setUp(o)
  try {
    return await measure(o, run)
  } finally {
    await Promise.allSettled([...run.publishers, ...run.subscribers].map((x) => x.conn.close()))
  }
}

async function setUp(o: MqttRunOptions): Promise<Run> {
  const uri = parseMqttUri(o.uri)
  const runId = `perf-mqtt-${process.pid}-${Date.now().toString(36)}`
  const run: Run = { topic: o.topic ?? `perf/${runId}`, publishers: [], subscribers: [], errors: [] }
  const opened: MqttPerfConnection[] = []
  const open = async (what: string): Promise<MqttPerfConnection> => {
    const conn = await MqttPerfConnection.open(uri, { clientId: what, keepalive: 60, cleanSession: true })
    opened.push(conn)
    conn.onError = (err) => run.errors.push(`${what}: ${err.message}`)
    return conn
  }
  try {
    for (let i = 0; i < o.subscribers; i++) {
      const conn = await open(`${runId}-s${i}`)
      await conn.subscribe(run.topic, o.qos)
      run.subscribers.push(new MqttSubscriber(conn, o.size >= 8))
    }
    for (let i = 0; i < o.publishers; i++) {
      const conn = await open(`${runId}-p${i}`)
      run.publishers.push(new MqttPublisher(conn, i, { ...o, topic: run.topic }))
    }
  } catch (err) {
    await Promise.allSettled(opened.map((c) => c.close()))
    throw err
  }
  return run
}

const sent = (run: Run): number => sum(run.publishers, (p) => p.published)
const acked = (run: Run): number => sum(run.publishers, (p) => p.acked)
const received = (run: Run): number => sum(run.subscribers, (s) => s.received)

/** Messages each subscriber should get: acknowledged ones for QoS 1, all sent for QoS 0. */
const owed = (o: MqttRunOptions, run: Run): number => (o.qos > 0 ? acked(run) : sent(run))

const allReceived = (o: MqttRunOptions, run: Run): boolean =>
  run.publishers.every((p) => p.inFlight === 0) && run.subscribers.every((s) => s.unique >= owed(o, run))

async function measure(o: MqttRunOptions, run: Run): Promise<MqttRunResult> {
  const cpu0 = process.cpuUsage()
  const brokerCpu = o.brokerPid !== undefined ? new CpuMeter(o.brokerPid) : undefined
  const t0 = performance.now()
  for (const p of run.publishers) p.start()
  const ticker = startRateTicker(
    o.brokerPid,
    t0,
    () => ({ sent: sent(run), received: received(run) }),
    (r) => o.onProgress?.({ ...r, in_flight: sum(run.publishers, (p) => p.inFlight) }),
  )
  const done = (): boolean => run.publishers.every((p) => p.done) && allReceived(o, run)
  await waitForWindow(t0, o.duration, o.count > 0, done, run.errors)
  const elapsed = (performance.now() - t0) / 1000
  const counts = { sent: sent(run), acked: acked(run), received: received(run) }
  const clientCpu = clientCpuPct(cpu0, elapsed * 1000)
  const brokerCpuPct = brokerCpu?.sample()
  clearInterval(ticker)
  for (const p of run.publishers) p.stop()
  await drainUntil(
    () => allReceived(o, run),
    () => received(run) + acked(run),
    () => run.errors.length > 0,
    o.drain,
  )
  const latency = new LatencyHistogram()
  for (const p of run.publishers) latency.add(p.ackLatency)
  const result: MqttRunResult = {
    mode: 'mqtt',
    uri: redactMqttUri(o.uri),
    topic: run.topic,
    options: optionsOf(o),
    elapsed_s: r3(elapsed),
    ...counts,
    rates: {
      sent: r1(counts.sent / elapsed),
      acked: r1(counts.acked / elapsed),
      received: r1(counts.received / elapsed),
    },
    lost: sum(run.subscribers, (s) => Math.max(0, owed(o, run) - s.unique)),
    duplicates: sum(run.subscribers, (s) => s.duplicates),
    ack_latency: latency.count > 0 ? latency.summary() : null,
    client_cpu_pct: clientCpu,
    errors: run.errors,
  }
  if (brokerCpuPct !== undefined) result.broker_cpu_pct = brokerCpuPct
  const rss = brokerRssMb(o.brokerPid)
  if (rss !== undefined) result.broker_rss_mb = rss
  return result
}

function optionsOf(o: MqttRunOptions): Record<string, number | string> {
  const { qos, publishers, subscribers, size, batch, window, count } = o
  return {
    qos,
    publishers,
    subscribers,
    size,
    batch,
    window,
    count,
    duration_s: o.duration,
    drain_s: o.drain,
  }
}
