// Memory per queued message: an in-process Warren, one amqplib publisher filling a transient queue with
// no consumer, heap and external memory compared before and after (after full GCs). amqplib sends an
// empty headers table with every message, as many clients send some properties.
// Run from bench/micro: node --expose-gc queue-memory.mjs [count] [--json]
import { Buffer } from 'node:buffer'
import amqp from 'amqplib'
import { startBroker } from '../../dist/src/index.js'

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000)
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc')
  process.exit(2)
}
const broker = await startBroker({ amqpPort: 0, httpPort: 0, logLevel: 'warn' })
globalThis.gc()
const before = process.memoryUsage()
const conn = await amqp.connect(broker.amqpUrl)
const ch = await conn.createChannel()
await ch.assertQueue('backlog', { durable: false })
const body = Buffer.alloc(16, 1)
for (let i = 0; i < N; i++) {
  if (!ch.sendToQueue('backlog', body)) await new Promise((resolve) => ch.once('drain', resolve))
}
while ((await ch.checkQueue('backlog')).messageCount < N);
globalThis.gc()
globalThis.gc()
const after = process.memoryUsage()
const per = (k) => Math.round((after[k] - before[k]) / N)
const result = {
  messages: N,
  body_bytes: body.length,
  heap_bytes_per_msg: per('heapUsed'),
  external_bytes_per_msg: per('external'),
  rss_bytes_per_msg: per('rss'),
}
if (process.argv.includes('--json')) console.log(JSON.stringify(result))
else
  console.log(
    `${N.toLocaleString('en-US')} queued ${body.length}-byte messages: heap ${result.heap_bytes_per_msg} B/msg, ` +
      `external ${result.external_bytes_per_msg} B/msg, RSS ${result.rss_bytes_per_msg} B/msg`,
  )
await conn.close()
await broker.close()
