// Once a second, the send and receive rates of a perf mqtt or perf stomp run since the last tick, with the
// broker's CPU when its pid is known; and the broker's RSS at the end of a run.
import { CpuMeter, processRss } from './broker-stats.js'
import { r1 } from './util.js'

export interface RateSample {
  elapsed_s: number
  sent_per_s: number
  received_per_s: number
  broker_cpu_pct?: number
}

/** Emits a RateSample every second from `counts()` (totals so far) until the timer is cleared. */
export function startRateTicker(
  brokerPid: number | undefined,
  t0: number,
  counts: () => { sent: number; received: number },
  emit: (s: RateSample) => void,
): NodeJS.Timeout {
  const meter = brokerPid !== undefined ? new CpuMeter(brokerPid) : undefined
  let last = { at: t0, sent: 0, received: 0 }
  return setInterval(() => {
    const cur = { at: performance.now(), ...counts() }
    const dt = (cur.at - last.at) / 1000
    const sample: RateSample = {
      elapsed_s: (cur.at - t0) / 1000,
      sent_per_s: (cur.sent - last.sent) / dt,
      received_per_s: (cur.received - last.received) / dt,
    }
    const cpu = meter?.sample()
    if (cpu !== undefined) sample.broker_cpu_pct = cpu
    last = cur
    emit(sample)
  }, 1000)
}

/** The broker's resident memory in MB, when its pid is known and it still runs. */
export function brokerRssMb(brokerPid: number | undefined): number | undefined {
  const rss = brokerPid !== undefined ? processRss(brokerPid) : undefined
  return rss !== undefined ? r1(rss / 2 ** 20) : undefined
}
