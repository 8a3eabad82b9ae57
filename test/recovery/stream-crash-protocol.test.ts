// A confirmed Stream-protocol message survives kill -9. A stream client (rabbitmq-stream-js-client)
// publishes with confirms into a stream with small segments, so that segments roll; those publishes are
// stored as the batches they came in (batch chunks, not records). The broker is SIGKILLed right after a
// confirm, or with more in flight; after the restart an AMQP 0-9-1 consumer reads the stream from the
// first offset, which also decodes every stored batch. Every confirmed message must be there, once, in
// publish order, with offsets from 0 and no gap; later rounds' batches follow the repaired tail.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import rabbit from 'rabbitmq-stream-js-client'
import { killAll, sleep, startWarren, tempDataDir, type WarrenProcess } from './harness.js'

const STREAM = 'crash.stream.protocol'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  return typeof address === 'object' && address ? address.port : 0
}

async function declare(w: WarrenProcess): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  await ch.assertQueue(STREAM, {
    durable: true,
    arguments: { 'x-queue-type': 'stream', 'x-stream-max-segment-size-bytes': 64 * 1024 },
  })
  await conn.close()
}

/** Publishes for runMs (batches of 50, each confirmed), then kills the broker; returns what was confirmed. */
async function publishThenKill(
  w: WarrenProcess,
  port: number,
  round: number,
  runMs: number,
): Promise<string[]> {
  const c = await rabbit.connect({
    hostname: '127.0.0.1',
    port,
    username: 'guest',
    password: 'guest',
    vhost: '/',
  })
  const pub = await c.declarePublisher({ stream: STREAM })
  const sent = new Map<bigint, string>()
  const confirmed: string[] = []
  pub.on('publish_confirm', (err, ids) => {
    if (err !== null) return
    for (const id of ids) confirmed.push(sent.get(id) as string)
  })
  const until = Date.now() + runMs
  for (let batch = 0; Date.now() < until; batch++) {
    const target = confirmed.length + 50
    for (let i = 0; i < 50; i++) {
      const body = `${round}.${batch}.${i}`
      const { publishingId } = await pub.send(Buffer.from(body.padEnd(120, '.')))
      sent.set(publishingId, body)
    }
    await pub.flush()
    for (let i = 0; confirmed.length < target && i < 500; i++) await sleep(2)
  }
  // Odd rounds die at once; even ones with a tail in flight, some of it written and not yet fsynced.
  if (round % 2 === 0) {
    for (let i = 0; i < 500; i++) {
      const body = `${round}.tail.${i}`
      const { publishingId } = await pub.send(Buffer.from(body.padEnd(120, '.')))
      sent.set(publishingId, body)
    }
    await pub.flush()
    await sleep(round * 3)
  }
  await w.crash()
  const kept = [...confirmed]
  await c.close().catch(() => undefined)
  return kept
}

interface Read {
  id: string
  offset: number
}

async function readStream(w: WarrenProcess): Promise<Read[]> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  const { messageCount } = await ch.checkQueue(STREAM)
  await ch.prefetch(500)
  const got: Read[] = []
  await ch.consume(
    STREAM,
    (m) => {
      if (!m) return
      const offset = Number((m.properties.headers ?? {})['x-stream-offset'])
      got.push({ id: m.content.toString().replace(/\.+$/, ''), offset })
      ch.ack(m)
    },
    { arguments: { 'x-stream-offset': 'first' } },
  )
  for (let i = 0; got.length < messageCount && i < 2000; i++) await sleep(10)
  await conn.close()
  return got
}

test('confirmed Stream-protocol batches survive SIGKILL; AMQP 0-9-1 reads them in order', async (t) => {
  const { dir, cleanup } = await tempDataDir('stream-crash-protocol')
  try {
    const port = await freePort()
    const args = ['--stream-port', String(port)]
    let w = await startWarren(dir, { args })
    await declare(w)
    const confirmed: string[] = []
    for (let round = 0; round < 4; round++) {
      confirmed.push(...(await publishThenKill(w, port, round, 500 + round * 200)))
      w = await startWarren(dir, { args })
      const read = await readStream(w)
      assert.deepEqual(
        read.map((r) => r.offset),
        read.map((_, i) => i),
        `round ${round}: offsets from 0 with no gap`,
      )
      const kept = new Set(read.map((r) => r.id))
      assert.equal(kept.size, read.length, `round ${round}: no message twice`)
      const missing = confirmed.filter((id) => !kept.has(id))
      assert.deepEqual(missing.slice(0, 20), [], `round ${round}: confirmed messages lost`)
      const position = new Map(read.map((r, i) => [r.id, i]))
      const order = confirmed.map((id) => position.get(id) as number)
      assert.ok(
        order.every((p, i) => i === 0 || p > (order[i - 1] as number)),
        'publish order kept',
      )
      t.diagnostic(`round ${round}: ${confirmed.length} confirmed so far, ${read.length} in the stream`)
    }
    await w.stop()
  } finally {
    await killAll()
    await cleanup()
  }
})
