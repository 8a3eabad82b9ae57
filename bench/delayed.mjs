// Delayed messages at scale (issue 14's figures): a Warren broker (a child process, its own data directory)
// takes N persistent messages with confirms on a durable x-delayed-message exchange, due at RATE per second
// from a moment after publishing ends; then it is killed with SIGKILL and started again; then a consumer
// measures how late each message arrives against the due time written in its body.
// Prints: publish rate, RSS with N pending (before the kill), recovery time (start to listening, which
// waits for recovery) and RSS after it, and the delivery lag percentiles.
//
//   node bench/delayed.mjs [--messages 1000000] [--rate 10000] [--size 64]
// Needs `npm run build`. Bounded: it stops by itself after N / RATE seconds of delivery (plus a minute).
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout } from 'node:timers'
import { fileURLToPath } from 'node:url'
import amqp from 'amqplib'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const N = arg('messages', 1_000_000)
const RATE = arg('rate', 10_000)
const SIZE = Math.max(16, arg('size', 64))
// The queue the messages are routed to when due: durable (its deliveries wait for the delivered mark's
// fsync, as every persistent delivery from a durable queue does) or not (the exchange's own lag).
const DURABLE_QUEUE = !process.argv.includes('--transient-queue')
// --pending-only: stop after the RSS and recovery figures (no delivery phase).
const PENDING_ONLY = process.argv.includes('--pending-only')
const WARREN = fileURLToPath(new URL('../dist/src/bin/warren.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'warren-delayed-bench-'))

async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address()
  await new Promise((r) => s.close(r))
  return port
}

const ports = { amqp: await freePort(), http: await freePort(), prom: await freePort() }

function start() {
  const started = Date.now()
  // BROKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the brokers.
  const nodeArgs = (process.env.BROKER_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      WARREN,
      'server',
      '--data-dir',
      dir,
      '--bind',
      '127.0.0.1',
      '--log-format',
      'json',
      '--amqp-port',
      String(ports.amqp),
      '--http-port',
      String(ports.http),
      '--prometheus-port',
      String(ports.prom),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  const listening = new Promise((resolve, reject) => {
    child.stdout.on('data', (b) => {
      out += b.toString()
      if (/Warren .* started/.test(out)) resolve(Date.now() - started)
    })
    child.once('exit', (code) => reject(new Error(`warren exited (${code}): ${out.slice(-2000)}`)))
  })
  return { child, listening, log: () => out }
}

const rssMiB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

const url = `amqp://guest:guest@127.0.0.1:${ports.amqp}`
let broker = start()
await broker.listening
const conn = await amqp.connect(url)
const ch = await conn.createConfirmChannel()
await ch.assertExchange('bench.delayed', 'x-delayed-message', {
  durable: true,
  arguments: { 'x-delayed-type': 'direct' },
})
await ch.assertQueue('bench.delayed.q', { durable: DURABLE_QUEUE })
await ch.bindQueue('bench.delayed.q', 'bench.delayed', 'k')

// Due times: RATE per second from `firstDue`, far enough ahead for publishing, the kill and the restart.
// Confirms every 50 messages keep the time between computing x-delay and the broker reading it (which
// the measured lag includes) to a millisecond or two.
const publishSecondsGuess = N / 15_000
const firstDue = Date.now() + Math.ceil(publishSecondsGuess + 25) * 1000
const body = Buffer.alloc(SIZE)
const t0 = Date.now()
for (let i = 0; i < N; i++) {
  const due = firstDue + Math.floor((i * 1000) / RATE)
  body.writeDoubleLE(due, 0)
  ch.publish('bench.delayed', 'k', Buffer.from(body), {
    persistent: true,
    headers: { 'x-delay': due - Date.now() },
  })
  if (i % 50 === 49) {
    await ch.waitForConfirms()
    if (i % 100_000 === 99_999) process.stderr.write(`published ${i + 1}\n`)
  }
}
await ch.waitForConfirms()
const publishSecs = (Date.now() - t0) / 1000
await conn.close()
await new Promise((r) => setTimeout(r, 2000)) // let the broker settle (bodies leave memory once stored)
const rssPending = rssMiB(broker.child.pid)
if (Date.now() > firstDue - 8000)
  console.log('warning: publishing took too long; the first messages will be late')

broker.child.kill('SIGKILL')
await new Promise((r) => broker.child.once('exit', r))
broker = start()
const recoveryMs = await broker.listening
const recovered = /recovered (\d+) delayed messages/.exec(broker.log())?.[1] ?? '?'
const rssRecoveredAtOnce = rssMiB(broker.child.pid)
await new Promise((r) => setTimeout(r, 3000)) // as before the kill: a few seconds to settle
const rssRecovered = rssMiB(broker.child.pid)
if (process.env.BENCH_MEMORY_BREAKDOWN) {
  const auth = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') }
  const nodes = await (await fetch(`http://127.0.0.1:${ports.http}/api/nodes`, { headers: auth })).json()
  const mem = await fetch(`http://127.0.0.1:${ports.http}/api/nodes/${nodes[0].name}/memory`, {
    headers: auth,
  })
  console.log(JSON.stringify((await mem.json()).memory))
}
if (PENDING_ONLY) {
  console.log(
    `publish ${publishSecs.toFixed(1)} s; RSS pending ${rssPending.toFixed(0)} MiB; recovery ${recoveryMs} ms`,
  )
  console.log(
    `(${recovered} recovered); RSS recovered ${rssRecoveredAtOnce.toFixed(0)} MiB at once, ${rssRecovered.toFixed(0)} MiB 3 s later`,
  )
  broker.child.kill('SIGTERM')
  await new Promise((r) => broker.child.once('exit', r))
  rmSync(dir, { recursive: true, force: true })
  process.exit(0)
}

const lags = new Float64Array(N)
let got = 0
const c2 = await amqp.connect(url)
const ch2 = await c2.createChannel()
if (!DURABLE_QUEUE) await ch2.assertQueue('bench.delayed.q', { durable: false })
if (!DURABLE_QUEUE) await ch2.bindQueue('bench.delayed.q', 'bench.delayed', 'k')
await ch2.prefetch(2000)
const done = new Promise((resolve) => {
  void ch2.consume('bench.delayed.q', (m) => {
    lags[got++] = Date.now() - m.content.readDoubleLE(0)
    ch2.ack(m)
    if (got === N) resolve()
  })
})
const deadline = firstDue + (N / RATE) * 1000 + 60_000
await Promise.race([done, new Promise((r) => setTimeout(r, deadline - Date.now()))])
const rssDraining = rssMiB(broker.child.pid)
const auth = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') }
const exView = await (
  await fetch(`http://127.0.0.1:${ports.http}/api/exchanges/%2F/bench.delayed`, { headers: auth })
).json()
const late = exView.delayed_lateness_ms
await c2.close()
broker.child.kill('SIGTERM')
await new Promise((r) => broker.child.once('exit', r))
rmSync(dir, { recursive: true, force: true })

const sorted = Array.from(lags.subarray(0, got)).sort((a, b) => a - b)
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
console.log(
  `messages        ${N} persistent, ${SIZE} B bodies, due at ${RATE}/s, to a ${DURABLE_QUEUE ? 'durable' : 'transient'} queue`,
)
console.log(`publish         ${publishSecs.toFixed(1)} s, ${Math.round(N / publishSecs)} msg/s with confirms`)
console.log(`RSS pending     ${rssPending.toFixed(0)} MiB with ${N} pending (before kill -9)`)
console.log(
  `recovery        ${recoveryMs} ms from start to listening, ${recovered} delayed messages recovered`,
)
console.log(
  `RSS recovered   ${rssRecoveredAtOnce.toFixed(0)} MiB at once, ${rssRecovered.toFixed(0)} MiB 3 s later; while delivering ${rssDraining.toFixed(0)} MiB`,
)
console.log(`delivered       ${got} of ${N}`)
console.log(
  `routed late    p50 ${late.p50} p99 ${late.p99} p99.9 ${late.p999} max ${late.max} ms (the broker's own count, ${late.samples} messages)`,
)
console.log(`consumer lag   (from the due time written in the body, so with the publish's own transit; ms)`)
console.log(
  `lag (ms)        p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} p99.9 ${pct(99.9)} max ${sorted[sorted.length - 1]}`,
)
