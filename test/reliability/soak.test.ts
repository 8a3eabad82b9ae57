// Warren issue 10: the reliability soak. Each round runs `warren server` as a child with a small heap and
// throws everything at it at once, then SIGKILLs it at a random moment, restarts it and checks what came
// back:
//   - confirmed persistent messages into durable queues of every kind: plain, drop-head max-length and
//     TTL queues (both dead-lettering into durable queues), a queue whose consumer rejects everything
//     into its dead-letter queue, and a priority queue; consumers ack part of what they get;
//   - a flood of transient messages to a queue nobody consumes (it pages to disk);
//   - clients sending malformed input: garbage, wrong frame types and sizes, truncated frames;
//   - in every other round (as root), a data directory on a nearly full tmpfs, with the disk alarm on (so
//     publishers meet it) or off (so the stores meet the file system's ENOSPC).
// Checked after each restart: every confirmed message is back in its queue or that queue's dead-letter
// queue unless a consumer acked it (lost = 0), and the broker never died before the kill (crashes = 0).
//
// CI runs a few short rounds. Soak: WARREN_SOAK_SECONDS=<s> runs rounds until s seconds have passed;
// WARREN_CRASH_SEED=<seed> repeats the random choices. Results: docs/reliability.md.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type amqp from 'amqplib'
import {
  drainQueue,
  killAll,
  Random,
  seedFromEnv,
  sleep,
  startWarren,
  tempDataDir,
  type WarrenProcess,
} from '../recovery/harness.js'

interface Kind {
  queue: string
  args: Record<string, unknown>
  /** Its dead-letter queue, if it has one. */
  dlq?: string
}

const KINDS: readonly Kind[] = [
  { queue: 'soak.plain', args: {} },
  { queue: 'soak.maxlen', args: { 'x-max-length': 200 }, dlq: 'soak.maxlen.dead' },
  { queue: 'soak.ttl', args: { 'x-message-ttl': 50 }, dlq: 'soak.ttl.dead' },
  { queue: 'soak.rejected', args: {}, dlq: 'soak.rejected.dead' },
  { queue: 'soak.prio', args: { 'x-max-priority': 5 } },
]
const FLOOD = 'soak.flood'
const SOAK_SECONDS = Number(process.env['WARREN_SOAK_SECONDS'] ?? 0)
const CI_ROUNDS = 4

interface Ledger {
  confirmed: Map<string, Kind>
  acked: Set<string>
  published: number
  flooded: number
  malformed: number
}

async function declare(w: WarrenProcess): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  for (const k of KINDS) {
    if (k.dlq) await ch.assertQueue(k.dlq, { durable: true })
    const dlx = k.dlq ? { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': k.dlq } : {}
    await ch.assertQueue(k.queue, { durable: true, arguments: { ...k.args, ...dlx } })
  }
  await ch.assertQueue(FLOOD, { durable: false })
  await conn.close()
}

/** Confirmed persistent publishes to every kind of queue, round-robin, until the connection dies. */
async function publish(w: WarrenProcess, ledger: Ledger, round: number, rnd: Random): Promise<void> {
  const conn = await w.connect()
  const ch: amqp.ConfirmChannel = await conn.createConfirmChannel()
  ch.on('error', () => undefined)
  let open = true
  ch.on('close', () => (open = false))
  for (let batch = 0; open; batch++) {
    for (let i = 0; i < 40 && open; i++) {
      const kind = KINDS[(batch + i) % KINDS.length] as Kind
      const id = `${round}.${batch}.${i}`
      const body = Buffer.alloc(rnd.int(10, 3000), id)
      const options = { persistent: true, messageId: id, priority: rnd.int(0, 5) }
      ledger.published++
      ch.publish('', kind.queue, body, options, (err) => err || ledger.confirmed.set(id, kind))
    }
    await ch.waitForConfirms().catch(() => sleep(20))
  }
}

/** Acks about half of what the plain and priority queues deliver; rejects all of soak.rejected. */
async function consume(w: WarrenProcess, ledger: Ledger, rnd: Random): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  ch.on('error', () => undefined)
  await ch.prefetch(100)
  for (const q of ['soak.plain', 'soak.prio']) {
    await ch.consume(q, (m) => {
      if (!m || !rnd.chance(0.5)) return
      ch.ack(m)
      ledger.acked.add(String(m.properties.messageId))
    })
  }
  await ch.consume('soak.rejected', (m) => m && ch.nack(m, false, false))
}

/** Transient 16-byte messages to a queue nobody consumes, as fast as the socket takes them. */
async function flood(w: WarrenProcess, ledger: Ledger): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  ch.on('error', () => undefined)
  let open = true
  ch.on('close', () => (open = false))
  const body = Buffer.alloc(16)
  while (open) {
    for (let i = 0; i < 2000 && open; i++) {
      ledger.flooded++
      if (!ch.sendToQueue(FLOOD, body)) break
    }
    await sleep(1)
  }
}

/** Connections that send malformed input: garbage, bad frame types, sizes and ends, truncated frames. */
async function malformed(w: WarrenProcess, ledger: Ledger, rnd: Random, until: () => boolean): Promise<void> {
  while (!until()) {
    const socket = net.connect(w.port, '127.0.0.1')
    socket.on('error', () => undefined)
    await new Promise((r) => socket.once('connect', r).once('error', r))
    const header = rnd.chance(0.8) ? Buffer.from('AMQP\x00\x00\x09\x01', 'latin1') : rnd.bytes(8)
    const frame = Buffer.alloc(7 + rnd.int(0, 64) + 1)
    frame.writeUInt8(rnd.pick([1, 2, 3, 8, 0, 77]), 0)
    frame.writeUInt16BE(rnd.int(0, 3), 1)
    frame.writeUInt32BE(rnd.chance(0.5) ? frame.length - 8 : rnd.int(0, 0xffffffff), 3)
    rnd.bytes(frame.length - 8).copy(frame, 7)
    frame.writeUInt8(rnd.chance(0.7) ? 0xce : rnd.int(0, 255), frame.length - 1)
    socket.end(Buffer.concat([header, rnd.chance(0.5) ? frame : frame.subarray(0, rnd.int(1, frame.length))]))
    ledger.malformed++
    await sleep(rnd.int(1, 20))
    socket.destroy()
  }
}

/** Every confirmed message not acked must be back in its queue or its dead-letter queue. */
async function lostAfterRestart(w: WarrenProcess, ledger: Ledger): Promise<string[]> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  await sleep(150) // messages whose TTL ran out while the broker was down move at start
  const back = new Set<string>()
  for (const k of KINDS) {
    for (const q of k.dlq ? [k.queue, k.dlq] : [k.queue])
      for (const d of await drainQueue(ch, q)) back.add(d.id)
  }
  await conn.close()
  return [...ledger.confirmed.keys()].filter((id) => !back.has(id) && !ledger.acked.has(id))
}

/** A tmpfs nearly full, so that the round meets the disk alarm and ENOSPC; undefined when not root. */
async function smallDisk(): Promise<
  { dir: string; free: () => Promise<void>; cleanup: () => Promise<void> } | undefined
> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-soak-disk-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', dir], { stdio: 'pipe' })
  } catch {
    await rmdir(dir)
    return undefined
  }
  await writeFile(join(dir, 'filler'), Buffer.alloc(45 * 2 ** 20))
  return {
    dir,
    free: () => rm(join(dir, 'filler'), { force: true }),
    cleanup: async () => {
      execFileSync('umount', [dir])
      await rmdir(dir)
    },
  }
}

async function round(
  n: number,
  rnd: Random,
  dataDir: string,
  diskLimit: number | undefined,
): Promise<Ledger & { lost: string[]; crashed: boolean; events: string[] }> {
  const ledger: Ledger = { confirmed: new Map(), acked: new Set(), published: 0, flooded: 0, malformed: 0 }
  const env = diskLimit !== undefined ? { WARREN_DISK_FREE_LIMIT: String(diskLimit) } : undefined
  let w = await startWarren(dataDir, { nodeArgs: ['--max-old-space-size=192'], ...(env ? { env } : {}) })
  await declare(w)
  let killed = false
  const load = [
    publish(w, ledger, n, rnd),
    publish(w, ledger, n, rnd),
    consume(w, ledger, rnd),
    flood(w, ledger),
  ]
  load.push(malformed(w, ledger, rnd, () => killed || !w.running))
  // Handled from the start: a client whose broker dies under it rejects at any moment.
  const loadEnded = Promise.allSettled(load)
  await sleep(rnd.int(500, 2500))
  const crashed = !w.running
  killed = true
  await w.crash()
  const alarms = [...new Set(w.logs.filter((l) => / resource alarm set/.test(l.msg)).map((l) => l.alarm))]
  const refused = w.logs.filter((l) => /file system of the data directory is full/.test(l.msg)).length
  await loadEnded
  w = await startWarren(dataDir)
  const lost = await lostAfterRestart(w, ledger)
  assert.equal((await w.stop()).code, 0)
  return {
    ...ledger,
    lost,
    crashed,
    events: [...alarms.map((a) => `${String(a)} alarm`), `${refused > 0 ? 'ENOSPC' : 'no ENOSPC'}`],
  }
}

test('reliability soak: kill -9 under mixed load, floods, malformed input and a full disk', async (t) => {
  const seed = seedFromEnv()
  const rnd = new Random(seed)
  t.diagnostic(`seed ${seed}`)
  const started = Date.now()
  const totals = { rounds: 0, published: 0, confirmed: 0, lost: 0, crashes: 0, flooded: 0, malformed: 0 }
  const { dir, cleanup } = await tempDataDir('soak')
  try {
    while (SOAK_SECONDS > 0 ? Date.now() - started < SOAK_SECONDS * 1000 : totals.rounds < CI_ROUNDS) {
      // Every other round on a nearly full disk, with the disk alarm (limit 1 MiB) or without (ENOSPC).
      const diskLimit = [undefined, 2 ** 20, undefined, 0][totals.rounds % 4]
      const disk = diskLimit !== undefined ? await smallDisk() : undefined
      const dataDir = disk ? join(disk.dir, 'data') : dir
      const r = await round(totals.rounds, rnd, dataDir, disk && diskLimit).finally(async () => {
        await disk?.free()
      })
      await disk?.cleanup()
      totals.rounds++
      totals.published += r.published
      totals.confirmed += r.confirmed.size
      totals.lost += r.lost.length
      totals.crashes += r.crashed ? 1 : 0
      totals.flooded += r.flooded
      totals.malformed += r.malformed
      const line = `round ${totals.rounds}${disk ? ` (full disk, limit ${String(diskLimit)})` : ''}: ${r.confirmed.size} confirmed, ${r.acked.size} acked, ${r.flooded} flooded, ${r.malformed} malformed, ${r.events.join(', ')}, lost ${r.lost.length}${r.crashed ? ', CRASHED' : ''}`
      t.diagnostic(line)
      if (SOAK_SECONDS > 0) process.stderr.write(`${line}\n`)
      assert.deepEqual(r.lost.slice(0, 10), [], 'confirmed messages lost')
      assert.equal(r.crashed, false, 'the broker died before it was killed')
    }
  } finally {
    await killAll()
    await cleanup()
  }
  t.diagnostic(
    `soak: ${totals.rounds} rounds in ${Math.round((Date.now() - started) / 1000)} s, ${totals.published} published, ${totals.confirmed} confirmed, ${totals.flooded} flooded, ${totals.malformed} malformed connections; lost ${totals.lost}, crashes ${totals.crashes}`,
  )
})
