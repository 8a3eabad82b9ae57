// Issue 13, item 6: a confirmed stream message survives kill -9. Publishers with confirms write into a
// stream with small segments (so segments roll while they publish); the broker is SIGKILLed right after a
// batch of confirms while more publishes are in flight; after the restart a consumer reads the stream
// from the first offset. Every confirmed message must be there, once, in publish order, and the offsets
// must run from 0 with no gap, the ones written after the restart following on. Later rounds also
// simulate a power cut (as crash.test.ts does): the stream's files lose what no completed fsync covered,
// so a confirm sent before its chunk was fsynced would show up as a lost message.
import assert from 'node:assert/strict'
import { open, readdir, readFile, stat, truncate, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import type amqp from 'amqplib'
import { killAll, Random, sleep, startWarren, tempDataDir, type WarrenProcess } from './harness.js'

const QUEUE = 'crash.stream'
const CAN_SIMULATE_POWER_LOSS = process.platform === 'linux'
const SYNC_TRACKER = new URL('./sync-tracker.js', import.meta.url).href

/** Sizes of the stream's segment and index files. */
async function streamFiles(dataDir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const root = join(dataDir, 'streams')
  for (const s of await readdir(root).catch(() => [] as string[])) {
    for (const f of await readdir(join(root, s))) {
      if (/\.(segment|index)$/.test(f)) out.set(join(root, s, f), (await stat(join(root, s, f))).size)
    }
  }
  return out
}

/**
 * After the SIGKILL, what a power cut could leave: each file keeps what a completed fsync covered (or
 * what it had at start) and all, none or part of the rest, sometimes with a page of it zeroed; a file
 * never synced may vanish.
 */
async function simulatePowerLoss(
  dataDir: string,
  baseline: ReadonlyMap<string, number>,
  syncLog: string,
  rnd: Random,
): Promise<number> {
  const synced = new Map(baseline)
  for (const line of (await readFile(syncLog, 'utf8').catch(() => '')).split('\n')) {
    if (line === '') continue
    const { path, size } = JSON.parse(line) as { path: string; size: number }
    synced.set(path, Math.max(synced.get(path) ?? 0, size))
  }
  let cut = 0
  for (const [path, size] of await streamFiles(dataDir)) {
    const durable = Math.min(synced.get(path) ?? 0, size)
    if (size <= durable) continue
    const keep = durable + rnd.pick([0, rnd.int(0, size - durable), size - durable])
    cut += size - keep
    if (keep === 0 && !synced.has(path)) {
      await unlink(path)
      continue
    }
    await truncate(path, keep)
    if (keep > durable && rnd.chance(0.3)) {
      const from = Math.max(Math.floor(rnd.int(durable, keep - 1) / 4096) * 4096, durable)
      const fh = await open(path, 'r+')
      await fh.write(
        Buffer.alloc(Math.min(from + 4096, keep) - from),
        0,
        Math.min(from + 4096, keep) - from,
        from,
      )
      await fh.close()
    }
  }
  return cut
}

async function declare(w: WarrenProcess): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  await ch.assertQueue(QUEUE, {
    durable: true,
    arguments: { 'x-queue-type': 'stream', 'x-stream-max-segment-size-bytes': 64 * 1024 },
  })
  await conn.close()
}

/** Publishes batches with confirms for runMs, then sends one more batch and kills the broker at once. */
async function publishThenKill(w: WarrenProcess, round: number, runMs: number): Promise<string[]> {
  const conn = await w.connect()
  const ch: amqp.ConfirmChannel = await conn.createConfirmChannel()
  ch.on('error', () => undefined)
  const confirmed: string[] = []
  const until = Date.now() + runMs
  for (let batch = 0; ; batch++) {
    const ids = Array.from({ length: 100 }, (_, i) => `${round}.${batch}.${i}`)
    for (const id of ids) ch.sendToQueue(QUEUE, Buffer.from(id.padEnd(200, '.')))
    if (Date.now() >= until && round % 2 === 0) break
    await ch.waitForConfirms()
    confirmed.push(...ids)
    if (Date.now() >= until) break
  }
  // Odd rounds die the moment a confirm arrives (a confirm sent before its fsync completed would be
  // lost to a power cut); even ones with more in flight, some of it written and not yet fsynced.
  if (round % 2 === 0) {
    for (let i = 0; i < 2000; i++) ch.sendToQueue(QUEUE, Buffer.from(`${round}.tail.${i}`.padEnd(200, '.')))
    await sleep(round * 3)
  }
  await w.crash()
  return confirmed
}

interface Read {
  id: string
  offset: number
}

/** Reads the whole stream from the first offset (the passive declare says how much there is). */
async function readStream(w: WarrenProcess): Promise<Read[]> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  const { messageCount } = await ch.checkQueue(QUEUE)
  await ch.prefetch(500)
  const got: Read[] = []
  await ch.consume(
    QUEUE,
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

test('confirmed stream messages survive SIGKILL; offsets run on with no gap', async (t) => {
  const { dir, cleanup } = await tempDataDir('stream-crash')
  try {
    let w = await startWarren(dir)
    await declare(w)
    const confirmed: string[] = []
    const rnd = new Random(13)
    for (let round = 0; round < 4; round++) {
      const powerLoss = round > 0 && CAN_SIMULATE_POWER_LOSS
      if (powerLoss) {
        await w.stop()
        const baseline = await streamFiles(dir)
        const syncLog = `${dir}-sync-${round}.jsonl`
        w = await startWarren(dir, {
          nodeArgs: ['--import', SYNC_TRACKER],
          env: { WARREN_SYNC_LOG: syncLog },
        })
        confirmed.push(...(await publishThenKill(w, round, 600 + round * 200)))
        assert.match(await readFile(syncLog, 'utf8'), /\.segment"/, 'the tracker saw the stream fsyncs')
        const cut = await simulatePowerLoss(dir, baseline, syncLog, rnd)
        await unlink(syncLog)
        t.diagnostic(`round ${round}: power cut took ${cut} unsynced bytes`)
      } else confirmed.push(...(await publishThenKill(w, round, 600 + round * 300)))
      w = await startWarren(dir)
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
      // Confirmed messages come back in the order they were published.
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
