// A stream queue outlives a restart of the broker on the same data directory: its declaration (with its
// arguments) comes back with the definitions, its log with its offsets, and new messages follow on.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import amqp from 'amqplib'
import { startBroker } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-stream-restart-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const opts = { amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' as const, dataDir: dir }
const ARGS = { 'x-queue-type': 'stream', 'x-max-age': '7D', 'x-stream-max-segment-size-bytes': 4096 }

async function publish(url: string, bodies: string[]): Promise<void> {
  const conn = await amqp.connect(url)
  const ch = await conn.createConfirmChannel()
  await ch.assertQueue('events', { durable: true, arguments: ARGS })
  for (const b of bodies) ch.sendToQueue('events', Buffer.from(b.padEnd(300, '.')))
  await ch.waitForConfirms()
  await conn.close()
}

async function readFrom(url: string, offset: unknown, n: number): Promise<Array<[string, unknown]>> {
  const conn = await amqp.connect(url)
  const ch = await conn.createChannel()
  await ch.prefetch(1000)
  const got: Array<[string, unknown]> = []
  await ch.consume(
    'events',
    (m) => {
      if (!m) return
      got.push([m.content.toString().replace(/\.+$/, ''), m.properties.headers?.['x-stream-offset']])
      ch.ack(m)
    },
    { arguments: { 'x-stream-offset': offset } },
  )
  for (let i = 0; i < 400 && got.length < n; i++) await new Promise((r) => setTimeout(r, 5))
  await conn.close()
  return got
}

test('a stream comes back after a restart with its arguments, messages and offsets', async () => {
  let broker = await startBroker(opts)
  const first = Array.from({ length: 40 }, (_, i) => `a${i}`)
  await publish(broker.amqpUrl, first)
  await broker.close()
  const streams = readdirSync(join(dir, 'streams'))
  assert.equal(streams.length, 1)
  assert.ok(readdirSync(join(dir, 'streams', streams[0] as string)).length > 2, 'several segments')

  broker = await startBroker(opts)
  // The redeclare must repeat the same arguments: they came back with the queue.
  await publish(broker.amqpUrl, ['b0'])
  const all = await readFrom(broker.amqpUrl, 'first', 41)
  assert.deepEqual(
    all.map(([b]) => b),
    [...first, 'b0'],
  )
  assert.deepEqual(
    all.map(([, o]) => o),
    all.map((_, i) => i),
  )
  assert.deepEqual(await readFrom(broker.amqpUrl, 39, 2), [
    ['a39', 39],
    ['b0', 40],
  ])
  const conn = await amqp.connect(broker.amqpUrl)
  const ch = await conn.createChannel()
  assert.equal((await ch.checkQueue('events')).messageCount, 41)
  await ch.deleteQueue('events')
  await conn.close()
  await broker.close()
  assert.deepEqual(readdirSync(join(dir, 'streams')), [], 'a deleted stream leaves nothing behind')
})
