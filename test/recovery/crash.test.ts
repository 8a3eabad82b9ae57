// Warren issue 4, crash safety: a broker killed with SIGKILL at a random moment, under load, must come
// back with every message it confirmed (durable queue, persistent message, publisher confirm: the confirm
// means fsynced), intact, at most once per queue, and nothing it did not have.
//
// Each iteration starts `warren server` on the same data directory, runs publishers on confirm channels
// (direct to durable queues and through a durable fanout to three durable queues) and a consumer that
// acks most of what it gets, SIGKILLs the broker, restarts it and drains every queue. Checked:
//   - every confirmed message is back in each queue it was routed to, unless the consumer acked it there
//     (an ack that was sent but not yet stored may come back: RabbitMQ allows that too);
//   - no message comes back twice in a queue, or in a queue it was not routed to, or from nowhere;
//   - bodies, ids and checksums agree; per publisher, a queue keeps publish order;
//   - redelivered=true only in queues that had a consumer (the broker may have sent deliveries the client
//     never read before the crash).
// The drained broker is then stopped cleanly (SIGTERM), so the next iteration must find every queue empty.
//
// Kill moments: a random delay into steady load; right after a burst of publishes (when its first confirm
// arrives, or a few ms after the burst), so the kill lands while the group commit is writing and
// fsyncing; during large-message traffic past the 8 MiB segment size, so segments roll (and, with the
// consumer acking, get deleted); once a queue is deep enough to page out of memory; and a second kill
// while the restarted broker is still recovering.
//
// Some iterations also simulate power loss (Linux): the child runs with sync-tracker.ts preloaded, which
// records what each completed fsync covered, and after the kill every segment file and ack log loses a
// random part of what no fsync covered (see simulatePowerLoss). A SIGKILL alone loses nothing the kernel
// has; this is what shows a confirm sent before its fsync completed.
//
// Seeded: the seed is printed; WARREN_CRASH_SEED=<seed> repeats the choices (timings still vary).
// Soak: WARREN_CRASH_ITERATIONS=<n> and/or WARREN_CRASH_SOAK_SECONDS=<s> (runs until s seconds have
// passed), WARREN_CRASH_VOLUME=<factor> scales message counts. See docs/storage.md.
import assert from 'node:assert/strict'
import { open, readdir, readFile, stat, truncate, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import type amqp from 'amqplib'
import {
  checkMessage,
  drainQueue,
  killAll,
  type Drained,
  makeMessage,
  Random,
  seedFromEnv,
  sleep,
  spawnWarren,
  startWarren,
  tempDataDir,
  type WarrenProcess,
} from './harness.js'

const DIRECT = ['crash.q0', 'crash.q1', 'crash.q2']
const FANOUT = 'crash.fan'
const FANNED = ['crash.f0', 'crash.f1', 'crash.f2']
const QUEUES = [...DIRECT, ...FANNED]
const MiB = 1024 * 1024

type Mode = 'burst' | 'random' | 'roll' | 'double' | 'deep'
/** What iteration i does: SCHEDULE[i % length]. The default run is the first five. */
const SCHEDULE: ReadonlyArray<{ mode: Mode; powerLoss: boolean }> = [
  { mode: 'burst', powerLoss: true },
  { mode: 'random', powerLoss: false },
  { mode: 'roll', powerLoss: false },
  { mode: 'double', powerLoss: false },
  { mode: 'deep', powerLoss: true },
  { mode: 'burst', powerLoss: false },
  { mode: 'random', powerLoss: true },
  { mode: 'roll', powerLoss: true },
  { mode: 'double', powerLoss: true },
  { mode: 'deep', powerLoss: false },
]
/** Power loss is simulated with /proc/self/fd (see sync-tracker.ts). */
const CAN_SIMULATE_POWER_LOSS = process.platform === 'linux'
const SYNC_TRACKER = new URL('./sync-tracker.js', import.meta.url).href

const envNumber = (name: string, dflt: number): number => {
  const v = process.env[name]
  return v !== undefined && v !== '' ? Number(v) : dflt
}
const ITERATIONS = envNumber('WARREN_CRASH_ITERATIONS', 5)
const SOAK_SECONDS = envNumber('WARREN_CRASH_SOAK_SECONDS', 0)
const VOLUME = envNumber('WARREN_CRASH_VOLUME', 1)

interface Sent {
  targets: readonly string[]
  publisher: number
  seq: number
  size: number
}

/** What the clients saw before the crash. Keys of delivered/acked are `queue\0id`. */
class Ledger {
  readonly published = new Map<string, Sent>()
  readonly confirmed = new Set<string>()
  readonly delivered = new Set<string>()
  readonly acked = new Set<string>()
  readonly confirmedBytes = new Map<string, number>()
  readonly confirmedCount = new Map<string, number>()
  readonly errors: string[] = []
  /** Queues the consumer consumed from: the broker may have delivered more than the client saw. */
  consumed: readonly string[] = []
  stop = false

  confirm(id: string): void {
    const s = this.published.get(id) as Sent
    this.confirmed.add(id)
    for (const q of s.targets) {
      this.confirmedBytes.set(q, (this.confirmedBytes.get(q) ?? 0) + s.size)
      this.confirmedCount.set(q, (this.confirmedCount.get(q) ?? 0) + 1)
    }
  }
}

const key = (queue: string, id: string): string => `${queue}\u0000${id}`

interface Profile {
  /** Body size of the next message. */
  size(rnd: Random): number
  /** Probability that a message goes through the fanout rather than to one queue. */
  fanout: number
  /** Direct queues to pick from. */
  direct: readonly string[]
  /** Most unconfirmed publishes a publisher keeps in flight. */
  window: number
}

const SMALL: Profile = {
  size: (rnd) => {
    const r = rnd.next()
    if (r < 0.9) return rnd.int(20, 2000)
    if (r < 0.99) return rnd.int(4096, 32 * 1024)
    return rnd.int(64 * 1024, 200 * 1024) // queued by reference in the store's write buffer
  },
  fanout: 0.3,
  direct: DIRECT,
  window: 300,
}

/** Small messages, mostly into crash.q2 (nobody consumes it): past the core's 4096-message window, so
 * the queue pages out to the store and recovery rebuilds a paged queue. */
const DEEP: Profile = {
  size: (rnd) => rnd.int(20, 400),
  fanout: 0.05,
  direct: ['crash.q2', 'crash.q2', 'crash.q2', 'crash.q0'],
  window: 1000,
}

const LARGE: Profile = {
  size: (rnd) => rnd.int(48 * 1024, 256 * 1024),
  fanout: 0.2,
  direct: ['crash.q1'],
  window: 40,
}

async function declareTopology(w: WarrenProcess): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  for (const q of QUEUES) await ch.assertQueue(q, { durable: true })
  await ch.assertExchange(FANOUT, 'fanout', { durable: true })
  for (const q of FANNED) await ch.bindQueue(q, FANOUT, '')
  await conn.close()
}

/** Publishes until the ledger says stop or the connection dies, keeping at most profile.window in flight. */
async function publisher(
  w: WarrenProcess,
  ledger: Ledger,
  iteration: number,
  publisher: number,
  rnd: Random,
  profile: Profile,
): Promise<void> {
  let conn: amqp.ChannelModel
  let ch: amqp.ConfirmChannel
  try {
    conn = await w.connect()
    ch = await conn.createConfirmChannel()
  } catch {
    return // killed before we got going
  }
  ch.on('error', () => undefined)
  let closed = false
  let inFlight = 0
  let wake: (() => void) | undefined
  const poke = (): void => {
    const f = wake
    wake = undefined
    f?.()
  }
  ch.on('close', () => {
    closed = true
    poke()
  })
  ch.on('drain', poke)
  for (let seq = 0; !ledger.stop && !closed; seq++) {
    const id = `${iteration}.${publisher}.${seq}`
    const fan = rnd.chance(profile.fanout)
    const queue = rnd.pick(profile.direct)
    const size = profile.size(rnd)
    const { body, options } = makeMessage(id, size, rnd)
    ledger.published.set(id, { targets: fan ? FANNED : [queue], publisher, seq, size })
    inFlight++
    let ok: boolean
    try {
      ok = ch.publish(fan ? FANOUT : '', fan ? '' : queue, body, options, (err) => {
        inFlight--
        if (err === null || err === undefined) ledger.confirm(id)
        if (inFlight < profile.window / 2) poke()
      })
    } catch {
      break // channel closed under us
    }
    while (!closed && !ledger.stop && (!ok || inFlight >= profile.window)) {
      await new Promise<void>((r) => {
        wake = r
        setTimeout(r, 50) // 'drain' may have fired before we started waiting
      })
      ok = true
    }
  }
}

/** A burst of publishes without waiting; resolves once the kill should happen. */
async function burst(w: WarrenProcess, ledger: Ledger, iteration: number, rnd: Random): Promise<string> {
  const conn = await w.connect()
  const ch = await conn.createConfirmChannel()
  ch.on('error', () => undefined)
  const n = Math.round(rnd.int(200, 1000) * VOLUME)
  const onFirstConfirm = rnd.chance(0.5)
  const delay = rnd.int(0, 15)
  let killNow!: () => void
  const trigger = new Promise<void>((r) => (killNow = r))
  // Should the channel or the broker go first, there is no confirm to wait for.
  ch.on('close', () => killNow())
  void w.exited.then(() => killNow())
  for (let seq = 0; seq < n; seq++) {
    const id = `${iteration}.burst.${seq}`
    const fan = rnd.chance(0.3)
    const queue = rnd.pick(DIRECT)
    const size = SMALL.size(rnd)
    const { body, options } = makeMessage(id, size, rnd)
    ledger.published.set(id, { targets: fan ? FANNED : [queue], publisher: 99, seq, size })
    ch.publish(fan ? FANOUT : '', fan ? '' : queue, body, options, (err) => {
      if (err !== null && err !== undefined) return
      ledger.confirm(id)
      // Killed from inside the callback: the broker has just fsynced one group and is writing the next.
      if (onFirstConfirm) {
        w.proc.kill('SIGKILL')
        killNow()
      }
    })
  }
  if (!onFirstConfirm) setTimeout(killNow, delay)
  await trigger
  return onFirstConfirm
    ? `burst of ${n}, killed at its first confirm`
    : `burst of ${n}, killed ${delay} ms after`
}

/** Consumes from queues, acking each delivery unless held back (those stay unacked until the crash). */
async function consumer(
  w: WarrenProcess,
  ledger: Ledger,
  queues: readonly string[],
  holdBack: number,
  rnd: Random,
): Promise<void> {
  try {
    const conn = await w.connect()
    const ch = await conn.createChannel()
    ch.on('error', () => undefined)
    await ch.prefetch(500)
    for (const q of queues) {
      await ch.consume(q, (m) => {
        if (!m) return
        let id: string
        try {
          id = checkMessage(m)
        } catch (err) {
          ledger.errors.push(`consumer on ${q} before the crash: ${(err as Error).message}`)
          return
        }
        if (m.fields.redelivered) ledger.errors.push(`${q} ${id}: redelivered=true on its first delivery`)
        ledger.delivered.add(key(q, id))
        if (rnd.chance(holdBack)) return
        try {
          ch.ack(m)
          ledger.acked.add(key(q, id))
        } catch {
          // channel gone: the broker died
        }
      })
    }
  } catch {
    // killed while setting up
  }
}

interface Outcome {
  confirmedCopies: number
  recovered: number
  lost: string[]
  ackedBack: number
  unconfirmedBack: number
  redelivered: number
  problems: string[]
}

/** Compares what the restarted broker has with what the clients saw. */
function verify(ledger: Ledger, drained: Drained[]): Outcome {
  const problems = [...ledger.errors]
  const seen = new Set<string>()
  const lastSeq = new Map<string, number>()
  let ackedBack = 0
  let unconfirmedBack = 0
  let redelivered = 0
  for (const d of drained) {
    let id: string
    try {
      id = checkMessage(d.message)
    } catch (err) {
      problems.push(`${d.queue}: ${(err as Error).message}`)
      continue
    }
    const sent = ledger.published.get(id)
    if (!sent) {
      problems.push(`${d.queue}: message ${id} was never published in this iteration`)
      continue
    }
    if (!sent.targets.includes(d.queue)) problems.push(`${d.queue}: message ${id} was not routed there`)
    const k = key(d.queue, id)
    if (seen.has(k)) problems.push(`${d.queue}: message ${id} recovered twice`)
    seen.add(k)
    if (d.redelivered) {
      redelivered++
      // The broker may have marked (and sent) deliveries that the client never read before the crash,
      // so only messages of queues nobody consumed from must come back unflagged.
      if (!ledger.delivered.has(k) && !ledger.consumed.includes(d.queue))
        problems.push(`${d.queue}: ${id} redelivered=true but never delivered`)
    }
    if (ledger.acked.has(k)) ackedBack++
    if (!ledger.confirmed.has(id)) unconfirmedBack++
    const stream = `${d.queue}\u0000${sent.publisher}`
    const prev = lastSeq.get(stream) ?? -1
    if (sent.seq <= prev) problems.push(`${d.queue}: ${id} after seq ${prev} of the same publisher`)
    lastSeq.set(stream, sent.seq)
  }
  const lost: string[] = []
  let confirmedCopies = 0
  for (const id of ledger.confirmed) {
    for (const q of (ledger.published.get(id) as Sent).targets) {
      confirmedCopies++
      const k = key(q, id)
      if (!seen.has(k) && !ledger.acked.has(k)) lost.push(`${q} ${id}`)
    }
  }
  return {
    confirmedCopies,
    recovered: drained.length,
    lost,
    ackedBack,
    unconfirmedBack,
    redelivered,
    problems,
  }
}

/** Sizes of every segment file and ack log in the data directory. */
async function storeFiles(dataDir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const root = join(dataDir, 'queues')
  for (const q of await readdir(root).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{32}$/.test(q)) continue
    for (const f of await readdir(join(root, q))) {
      if (!/\.(seg|ack)$/.test(f)) continue
      const path = join(root, q, f)
      out.set(path, (await stat(path)).size)
    }
  }
  return out
}

/**
 * What a power cut could leave after the SIGKILL: each segment file and ack log keeps what a completed
 * fsync covered (or what it had when the broker started), and of the rest all, none or a random part,
 * sometimes with a 4 KiB page in it zeroed (pages need not reach the disk in order). A file never synced
 * may vanish. Returns a summary.
 */
async function simulatePowerLoss(
  dataDir: string,
  baseline: ReadonlyMap<string, number>,
  syncLog: string,
  rnd: Random,
): Promise<string> {
  const synced = new Map(baseline)
  const text = await readFile(syncLog, 'utf8').catch(() => '')
  for (const line of text.split('\n')) {
    if (line === '') continue
    const { path, size } = JSON.parse(line) as { path: string; size: number }
    if (/\.(seg|ack)$/.test(path)) synced.set(path, Math.max(synced.get(path) ?? 0, size))
  }
  let cut = 0
  let files = 0
  let zeroed = 0
  let vanished = 0
  for (const [path, size] of await storeFiles(dataDir)) {
    const durable = Math.min(synced.get(path) ?? 0, size)
    if (size <= durable) continue
    files++
    const keep = durable + rnd.pick([0, rnd.int(0, size - durable), size - durable])
    if (keep === 0 && !synced.has(path)) {
      await unlink(path)
      vanished++
      cut += size
      continue
    }
    await truncate(path, keep)
    cut += size - keep
    if (keep > durable && rnd.chance(0.3)) {
      const page = Math.floor(rnd.int(durable, keep - 1) / 4096) * 4096
      const from = Math.max(page, durable)
      const to = Math.min(page + 4096, keep)
      const fh = await open(path, 'r+')
      await fh.write(Buffer.alloc(to - from), 0, to - from, from)
      await fh.close()
      zeroed++
    }
  }
  return `power loss: ${files} files lost unsynced bytes (${cut} bytes, ${vanished} files vanished, ${zeroed} pages zeroed)`
}

/** Polls cond until it holds or ms pass (then the caller goes on regardless). */
async function until(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond() && Date.now() < deadline) await sleep(2)
}

async function drainAll(w: WarrenProcess): Promise<Drained[]> {
  const conn = await w.connect()
  try {
    const ch = await conn.createChannel()
    const out: Drained[] = []
    for (const q of QUEUES) out.push(...(await drainQueue(ch, q)))
    return out
  } finally {
    await conn.close().catch(() => undefined)
  }
}

async function queueDepths(w: WarrenProcess): Promise<number[]> {
  const conn = await w.connect()
  try {
    const ch = await conn.createChannel()
    const out: number[] = []
    for (const q of QUEUES) out.push((await ch.checkQueue(q)).messageCount)
    return out
  } finally {
    await conn.close().catch(() => undefined)
  }
}

test(
  'SIGKILL under load loses no confirmed message',
  { timeout: SOAK_SECONDS > 0 ? Infinity : 180_000 },
  async (t) => {
    const seed = seedFromEnv()
    // Soak runs also report as they go (diagnostics only show once the test ends).
    const report = (line: string): void => {
      t.diagnostic(line)
      if (SOAK_SECONDS > 0 || ITERATIONS > 5) process.stderr.write(`${line}\n`)
    }
    report(`seed ${seed} (WARREN_CRASH_SEED=${seed} to repeat)`)
    const rnd = new Random(seed)
    const data = await tempDataDir('crash')
    const syncLogs: string[] = []
    const totals = {
      iterations: 0,
      published: 0,
      confirmed: 0,
      confirmedCopies: 0,
      recovered: 0,
      lost: 0,
      ackedBack: 0,
    }
    const started = Date.now()
    const more = (i: number): boolean =>
      SOAK_SECONDS > 0 ? Date.now() - started < SOAK_SECONDS * 1000 || i < ITERATIONS : i < ITERATIONS
    try {
      for (let i = 0; more(i); i++) {
        const step = SCHEDULE[i % SCHEDULE.length] as (typeof SCHEDULE)[number]
        const mode = step.mode
        const powerLoss = step.powerLoss && CAN_SIMULATE_POWER_LOSS
        const r = new Random(rnd.int(0, 2 ** 32 - 1))
        const baseline = await storeFiles(data.dir)
        const syncLog = `${data.dir}-sync-${i}.jsonl`
        syncLogs.push(syncLog)
        let w = await startWarren(
          data.dir,
          powerLoss ? { nodeArgs: ['--import', SYNC_TRACKER], env: { WARREN_SYNC_LOG: syncLog } } : {},
        )
        if (i === 0) await declareTopology(w)
        else {
          const depths = await queueDepths(w)
          assert.deepEqual(
            depths,
            QUEUES.map(() => 0),
            `queues not empty after a clean stop: ${depths.join(',')}`,
          )
        }

        const ledger = new Ledger()
        const holdBack = mode === 'roll' ? 0 : r.pick([0, 0.1])
        const profile = mode === 'roll' ? LARGE : mode === 'deep' ? DEEP : SMALL
        const publishers = mode === 'roll' ? 2 : 3
        ledger.consumed = mode === 'roll' ? ['crash.q1', 'crash.f0'] : ['crash.q0', 'crash.f0']
        const tasks = [consumer(w, ledger, ledger.consumed, holdBack, r)]
        for (let p = 0; p < publishers; p++)
          tasks.push(publisher(w, ledger, i, p, new Random(r.int(0, 2 ** 32 - 1)), profile))
        if (mode === 'roll') {
          // A small-message publisher too, so the fsyncs interleave small and large appends.
          tasks.push(publisher(w, ledger, i, 2, new Random(r.int(0, 2 ** 32 - 1)), SMALL))
        }

        // The kill comes some time after the first confirms, however slow the machine is (a busy 2-core
        // box can take a second to fsync), so that every iteration has confirmed messages to check.
        await until(() => ledger.confirmed.size >= 50, 30_000)
        let how: string
        if (mode === 'burst') {
          await sleep(r.int(0, 200))
          how = await burst(w, ledger, i, r)
        } else if (mode === 'deep') {
          const threshold = Math.round(r.int(6000, 14000) * VOLUME)
          await until(() => (ledger.confirmedCount.get('crash.q2') ?? 0) >= threshold, 20_000 * VOLUME)
          how = `killed after ${ledger.confirmedCount.get('crash.q2') ?? 0} messages confirmed into crash.q2 (paged beyond 4096)`
        } else if (mode === 'roll') {
          const threshold = Math.round(r.int(7 * MiB, 14 * MiB) * VOLUME)
          await until(() => (ledger.confirmedBytes.get('crash.q1') ?? 0) >= threshold, 20_000 * VOLUME)
          how = `killed after ${((ledger.confirmedBytes.get('crash.q1') ?? 0) / MiB).toFixed(1)} MiB confirmed into crash.q1 (8 MiB segments)`
        } else {
          const delay = Math.round(r.int(0, 600) * VOLUME)
          await sleep(delay)
          how = `killed ${delay} ms after the first 50 confirms`
        }
        const exit = await w.crash()
        ledger.stop = true
        await Promise.allSettled(tasks)
        assert.equal(
          exit.signal,
          'SIGKILL',
          `the broker was not killed but exited: ${JSON.stringify(exit)}\n${w.transcript().slice(-5000)}`,
        )
        if (powerLoss) {
          how += `; ${await simulatePowerLoss(data.dir, baseline, syncLog, r)}`
          await unlink(syncLog).catch(() => undefined)
        }

        if (mode === 'double') {
          // Killed again while it restarts: recovery itself must be crash-safe.
          const again = spawnWarren(data.dir)
          const delay = r.int(0, 400)
          await sleep(delay)
          await again.crash()
          how += `, then again ${delay} ms into the restart`
        }

        w = await startWarren(data.dir)
        const drained = await drainAll(w)
        const out = verify(ledger, drained)
        const recoveredLine = w.logs.find((l) => /^recovered \d+ messages/.test(l.msg))
        const issues = w.warnings.filter((l) => /recovery dropped/.test(l.msg)).length
        const stop = await w.stop()

        totals.iterations++
        totals.published += ledger.published.size
        totals.confirmed += ledger.confirmed.size
        totals.confirmedCopies += out.confirmedCopies
        totals.recovered += out.recovered
        totals.lost += out.lost.length
        totals.ackedBack += out.ackedBack
        report(
          `#${i} ${mode}${powerLoss ? ' + power loss' : ''}: ${how}; published ${ledger.published.size}, confirmed ${ledger.confirmed.size} ` +
            `(${out.confirmedCopies} queue copies), consumer acked ${ledger.acked.size}; recovered ${out.recovered} ` +
            `(${out.unconfirmedBack} unconfirmed, ${out.ackedBack} acked-but-back, ${out.redelivered} redelivered), ` +
            `lost ${out.lost.length}, torn records dropped ${issues}`,
        )
        assert.deepEqual(out.lost.slice(0, 20), [], `confirmed messages lost (seed ${seed}, iteration ${i})`)
        assert.deepEqual(out.problems.slice(0, 20), [], `recovery problems (seed ${seed}, iteration ${i})`)
        assert.ok(recoveredLine, `no recovery summary in the log:\n${w.transcript()}`)
        assert.equal(recoveredLine.msg.split(' ')[1], String(out.recovered), recoveredLine.msg)
        assert.equal(stop.code, 0, `clean stop failed: ${JSON.stringify(stop)}\n${w.transcript()}`)
        // A run in which nothing was confirmed would check nothing.
        assert.ok(ledger.confirmed.size > 0, `iteration ${i}: nothing was confirmed before the kill`)
      }
      report(
        `totals: ${totals.iterations} iterations, ${totals.published} published, ${totals.confirmed} confirmed ` +
          `(${totals.confirmedCopies} queue copies), ${totals.recovered} recovered, ` +
          `${totals.ackedBack} acked-but-back, lost ${totals.lost}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      )
    } finally {
      await killAll()
      await data.cleanup()
      for (const f of syncLogs) await unlink(f).catch(() => undefined)
    }
  },
)
