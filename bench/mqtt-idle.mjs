#!/usr/bin/env node
// Broker memory per idle MQTT connection: opens N connections (CONNECT and CONNACK, clean session,
// keepalive 60 s) from one process, spread over several loopback source addresses so that no one address
// runs out of ephemeral ports, holds them, and reads the broker's resident memory (VmRSS of --broker-pid)
// before and after. Prints one JSON line. Run `npm run build` first; raise `ulimit -n` above N for this
// process and for the broker.
//
//   node bench/mqtt-idle.mjs --uri mqtt://guest:guest@127.0.0.1:1883 --broker-pid PID [--count 10000]
//     [--hold 10] [--settle 3] [--concurrency 100] [--sources 4] [--label name]
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { MqttPerfConnection } from '../dist/src/perf/mqtt/connection.js'
import { parseMqttUri, redactMqttUri } from '../dist/src/perf/mqtt/uri.js'

const { values: a } = parseArgs({
  options: {
    uri: { type: 'string', default: 'mqtt://guest:guest@127.0.0.1:1883' },
    'broker-pid': { type: 'string' },
    count: { type: 'string', default: '10000' },
    hold: { type: 'string', default: '10' },
    settle: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '100' },
    sources: { type: 'string', default: '4' },
    label: { type: 'string', default: '' },
  },
})
const count = Number(a.count)
const pid = Number(a['broker-pid'])
if (!(pid > 0)) throw new Error('--broker-pid is required')
const uri = parseMqttUri(a.uri)

function rssKb() {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m[1])
}

/** The broker's RSS once it stops moving by more than 1%, or after `seconds`. */
async function settledRssKb(seconds) {
  let last = rssKb()
  for (let i = 0; i < seconds * 2; i++) {
    await sleep(500)
    const now = rssKb()
    if (Math.abs(now - last) < last * 0.01 && i >= 1) return now
    last = now
  }
  return last
}

const runId = `idle-${process.pid}-${Date.now().toString(36)}`
const before = await settledRssKb(Number(a.settle))
const conns = []
const failures = []
let next = 0
const t0 = performance.now()
async function worker() {
  while (next < count) {
    const i = next++
    const localAddress = `127.0.0.${1 + (i % Number(a.sources))}`
    try {
      const c = await MqttPerfConnection.open(
        uri,
        { clientId: `${runId}-${i}`, keepalive: 60, cleanSession: true },
        localAddress,
      )
      c.onError = (err) => failures.push(`after open: ${err.message}`)
      conns.push(c)
    } catch (err) {
      failures.push(err.message)
    }
  }
}
await Promise.all(Array.from({ length: Number(a.concurrency) }, worker))
const openSeconds = (performance.now() - t0) / 1000
await sleep(Number(a.hold) * 1000)
const after = await settledRssKb(Number(a.settle))
const open = conns.filter((c) => !c.error).length
await Promise.allSettled(conns.map((c) => c.close()))
const perConnKb = open > 0 ? (after - before) / open : null
const result = {
  mode: 'mqtt-idle',
  label: a.label,
  uri: redactMqttUri(a.uri),
  count,
  opened: conns.length,
  open_after_hold: open,
  failed: failures.length,
  first_failures: [...new Set(failures)].slice(0, 3),
  open_s: Math.round(openSeconds * 100) / 100,
  rss_before_mb: Math.round(before / 102.4) / 10,
  rss_after_mb: Math.round(after / 102.4) / 10,
  per_connection_kb: perConnKb === null ? null : Math.round(perConnKb * 10) / 10,
}
process.stdout.write(`${JSON.stringify(result)}\n`)
