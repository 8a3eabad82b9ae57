// Segment store behaviour the conformance suite cannot see: files on disk, torn writes, reclamation,
// rolling, group commit, and a timing smoke test.
import assert from 'node:assert/strict'
import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import * as zlib from 'node:zlib'
import type { PersistedMessage, QueueStore, RecoveredMessage } from '../../src/core/ports.js'
import type { Logger } from '../../src/shared/index.js'
import {
  openSegmentStore,
  queueDirName,
  type SegmentQueueStore,
  type SegmentStoreOptions,
} from '../../src/store/index.js'
import { crc32, crc32Js } from '../../src/store/segment/crc32.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-segment-'))
  dirs.push(dir)
  return dir
}

function message(n: number, size = 100): PersistedMessage {
  return {
    exchange: 'ex',
    routingKey: `rk.${n}`,
    properties: { deliveryMode: 2 },
    body: Buffer.alloc(size, n & 0xff),
  }
}

/** A Logger that keeps its warnings. */
function capturingLogger(): Logger & { warnings: Array<{ obj: unknown; msg: string | undefined }> } {
  const warnings: Array<{ obj: unknown; msg: string | undefined }> = []
  const ignore = (): void => undefined
  const logger = {
    warnings,
    trace: ignore,
    debug: ignore,
    info: ignore,
    error: ignore,
    fatal: ignore,
    warn: (obj: unknown, msg?: string) => void warnings.push({ obj, msg }),
    child: () => logger,
  }
  return logger
}

async function recoverAll(q: QueueStore): Promise<RecoveredMessage[]> {
  const out: RecoveredMessage[] = []
  await q.recover((m) => out.push(m))
  return out
}

/** Opens a store on dir, runs fn with queue '/'/'q', closes. */
async function withQueue<T>(
  dir: string,
  opts: SegmentStoreOptions,
  fn: (q: SegmentQueueStore) => Promise<T>,
): Promise<T> {
  const s = await openSegmentStore(dir, opts)
  try {
    return await fn(await s.openQueue('/', 'q'))
  } finally {
    await s.close()
  }
}

async function queueFiles(dir: string, ext: string): Promise<string[]> {
  const qdir = join(dir, queueDirName('/', 'q'))
  return (await readdir(qdir))
    .filter((n) => n.endsWith(ext))
    .map((n) => join(qdir, n))
    .sort()
}

describe('crc32', () => {
  test('matches the standard check value and, when present, zlib.crc32', () => {
    assert.equal(crc32Js(Buffer.from('123456789')), 0xcbf43926)
    const native = (zlib as { crc32?: (b: Uint8Array) => number }).crc32
    for (const size of [0, 1, 7, 8, 9, 100, 1023, 1024, 5000]) {
      const b = Buffer.alloc(size)
      for (let i = 0; i < size; i++) b[i] = (i * 131 + size) & 0xff
      const want = native ? native(b) : crc32Js(b)
      assert.equal(crc32Js(b), want, `js, ${size} bytes`)
      assert.equal(crc32(b, 0, size), want, `hybrid, ${size} bytes`)
      if (size > 2) assert.equal(crc32(b, 1, size - 1), crc32Js(b.subarray(1, size - 1)))
    }
  })
})

describe('segment store recovery', () => {
  test('a torn last record is dropped and reported; the rest is recovered', async () => {
    const dir = await tempDir()
    const ids = await withQueue(dir, {}, async (q) => {
      const ids = Array.from({ length: 10 }, (_, n) => q.append(message(n)))
      await q.flush()
      return ids
    })
    const [seg] = await queueFiles(dir, '.seg')
    const size = (await stat(seg!)).size
    await truncate(seg!, size - 7)
    const logger = capturingLogger()
    await withQueue(dir, { logger }, async (q) => {
      assert.deepEqual(
        (await recoverAll(q)).map((m) => m.id),
        ids.slice(0, 9),
      )
      assert.equal(q.recoveryIssues.length, 1)
      assert.match(q.recoveryIssues[0]!.reason, /truncated record/)
      assert.equal(q.recoveryIssues[0]!.droppedBytes, 100 + 8 + 24 + 2 + 4 + 3 - 7)
      assert.equal(logger.warnings.length, 1)
      // The queue goes on: appends land in a new segment and survive the next restart.
      q.append(message(99))
      await q.flush()
    })
    await withQueue(dir, {}, async (q) => assert.equal((await recoverAll(q)).length, 10))
  })

  test('a corrupt record and a zero-filled tail are reported as such', async () => {
    const dir = await tempDir()
    await withQueue(dir, {}, async (q) => {
      for (let n = 0; n < 5; n++) q.append(message(n))
      await q.flush()
    })
    const [seg] = await queueFiles(dir, '.seg')
    const bytes = await readFile(seg!)
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff
    await writeFile(seg!, bytes)
    await withQueue(dir, {}, async (q) => {
      assert.equal((await recoverAll(q)).length, 4)
      assert.match(q.recoveryIssues[0]!.reason, /checksum mismatch/)
    })
    await writeFile(seg!, Buffer.concat([bytes.subarray(0, bytes.length - 141), Buffer.alloc(4096)]))
    await withQueue(dir, {}, async (q) => {
      assert.equal((await recoverAll(q)).length, 4)
      assert.match(q.recoveryIssues[0]!.reason, /bad record length 0/)
    })
  })

  test('a torn ack entry is cut off and the whole entries still apply', async () => {
    const dir = await tempDir()
    const ids = await withQueue(dir, {}, async (q) => {
      const ids = Array.from({ length: 4 }, (_, n) => q.append(message(n)))
      q.remove(ids[1]!)
      q.markDelivered(ids[2]!)
      await q.flush()
      return ids
    })
    const [ack] = await queueFiles(dir, '.ack')
    await appendFile(ack!, Buffer.from([1, 2, 3]))
    await withQueue(dir, {}, async (q) => {
      const got = await recoverAll(q)
      assert.deepEqual(
        got.map((m) => [m.id, m.delivered]),
        [
          [ids[0], false],
          [ids[2], true],
          [ids[3], false],
        ],
      )
      assert.match(q.recoveryIssues[0]!.reason, /torn ack entry/)
      assert.equal((await stat(ack!)).size, 16)
    })
  })

  test('a segment whose header was torn (created just before a crash) is deleted', async () => {
    const dir = await tempDir()
    await withQueue(dir, {}, async (q) => {
      q.append(message(1))
      await q.flush()
    })
    const qdir = join(dir, queueDirName('/', 'q'))
    await writeFile(join(qdir, 'ffff000000000000.seg'), Buffer.from('WRN'))
    await withQueue(dir, {}, async (q) => {
      assert.equal((await recoverAll(q)).length, 1)
      assert.match(q.recoveryIssues[0]!.reason, /torn segment header/)
    })
    assert.equal((await queueFiles(dir, '.seg')).length, 1)
  })

  test('an ack log whose segment is gone (a crash during deletion) is deleted', async () => {
    const dir = await tempDir()
    await withQueue(dir, {}, async (q) => {
      q.append(message(1))
      await q.flush()
    })
    await writeFile(join(dir, queueDirName('/', 'q'), '00000000000000aa.ack'), Buffer.alloc(16))
    await withQueue(dir, {}, async (q) => assert.equal((await recoverAll(q)).length, 1))
    assert.deepEqual(await queueFiles(dir, '.ack'), [])
  })
})

describe('segment store files', () => {
  test('segments roll at the size limit; a message larger than a segment gets its own', async () => {
    const dir = await tempDir()
    await withQueue(dir, { segmentSize: 1024 }, async (q) => {
      for (let n = 0; n < 20; n++) q.append(message(n))
      q.append(message(20, 5000))
      q.append(message(21))
      await q.flush()
      const segs = await queueFiles(dir, '.seg')
      // 20 records of about 134 bytes, 7 to a 1 KiB segment: 3 segments, the big one, then one more.
      assert.equal(segs.length, 5)
      for (const s of segs.slice(0, 3)) assert.ok((await stat(s)).size <= 1024)
      assert.ok((await stat(segs[3]!)).size > 5000)
    })
  })

  test('recovery reads every segment into one buffer: names and bodies come back right, copied or lent', async () => {
    const dir = await tempDir()
    // Each segment repeats one exchange name at offsets where the next segment has another: a cache of
    // the last name that compared against an overwritten buffer would return the old one.
    const named = (n: number): PersistedMessage => ({
      ...message(n),
      exchange: `x${Math.floor(n / 7) % 2}`,
      routingKey: `rk.${Math.floor(n / 7) % 2}`,
    })
    await withQueue(dir, { segmentSize: 1024 }, async (q) => {
      for (let n = 0; n < 28; n++) q.append(named(n))
      q.append(message(28, 3000)) // a segment larger than the others: the buffer grows
      await q.flush()
    })
    await withQueue(dir, { segmentSize: 1024 }, async (q) => {
      const copied = await recoverAll(q)
      const lent: Array<[string, string, number]> = []
      await q.recover((m) => lent.push([m.exchange, m.routingKey, m.body[0] ?? -1]), { retainBodies: false })
      const expected = Array.from({ length: 29 }, (_, n) =>
        n < 28 ? [named(n).exchange, named(n).routingKey, n] : ['ex', 'rk.28', 28],
      )
      assert.deepEqual(
        copied.map((m) => [m.exchange, m.routingKey, m.body[0]]),
        expected,
      )
      assert.deepEqual(lent, expected)
      assert.ok(
        copied.every((m, n) => m.body.length === (n < 28 ? 100 : 3000) && m.body.every((b) => b === n)),
      )
    })
  })

  test('a segment is deleted, with its ack log, once all its messages are removed', async () => {
    const dir = await tempDir()
    await withQueue(dir, { segmentSize: 1024 }, async (q) => {
      const ids = Array.from({ length: 21 }, (_, n) => q.append(message(n)))
      await q.flush()
      assert.equal((await queueFiles(dir, '.seg')).length, 3)
      for (const id of ids.slice(0, 6)) q.remove(id)
      await q.flush()
      assert.equal((await queueFiles(dir, '.seg')).length, 3, 'one message left in the first segment')
      q.remove(ids[6]!)
      await q.flush()
      assert.equal((await queueFiles(dir, '.seg')).length, 2)
      assert.equal((await queueFiles(dir, '.ack')).length, 0)
      // The active (last) segment stays while it is written to, even when empty.
      for (const id of ids.slice(7)) q.remove(id)
      await q.flush()
      assert.equal((await queueFiles(dir, '.seg')).length, 1)
      assert.deepEqual(q.stats(), { messages: 0, bytes: 0 })
    })
    // On reopen the empty last segment is no longer active, so it goes too.
    await withQueue(dir, { segmentSize: 1024 }, async (q) => assert.deepEqual(await recoverAll(q), []))
    assert.equal((await queueFiles(dir, '.seg')).length, 0)
  })

  test('a failed write fails flush() and every later call', async () => {
    const dir = await tempDir()
    const s = await openSegmentStore(dir)
    const q = await s.openQueue('/', 'q')
    await rm(join(dir, queueDirName('/', 'q')), { recursive: true })
    q.append(message(1))
    await assert.rejects(q.flush(), /ENOENT/)
    assert.throws(() => q.append(message(2)), /ENOENT/)
    await assert.rejects(s.close(), /ENOENT/)
  })
})

/**
 * Child process: publishes in batches of 40, removing every other message of the previous batch. Prints
 * `issued <ids>` before removing and `confirmed <last appended id> <removed ids...>` once flush() resolves.
 */
const KILLED_WRITER = `
  const { openSegmentStore } = await import(process.argv[1])
  const q = await (await openSegmentStore(process.argv[2], { segmentSize: 16384 })).openQueue('/', 'q')
  let prev = []
  for (;;) {
    const removed = prev.filter((_, i) => i % 2 === 0)
    process.stdout.write('issued ' + removed.join(' ') + '\\n')
    for (const id of removed) q.remove(id)
    prev = Array.from({ length: 40 }, (_, n) => q.append({ exchange: 'x', routingKey: 'k', properties: {}, body: Buffer.alloc(60 + n) }))
    await q.flush()
    process.stdout.write('confirmed ' + prev[prev.length - 1] + ' ' + removed.join(' ') + '\\n')
  }
`

/** Runs KILLED_WRITER on dir and SIGKILLs it once more than `upTo` appends are confirmed. */
async function runKilledWriter(
  dir: string,
  upTo: number,
): Promise<{ confirmedUpTo: number; removed: Set<number>; issued: Set<number> }> {
  const storeModule = fileURLToPath(new URL('../../src/store/index.js', import.meta.url))
  const child = spawn(process.execPath, ['--input-type=module', '-e', KILLED_WRITER, storeModule, dir])
  const seen = { confirmedUpTo: 0, removed: new Set<number>(), issued: new Set<number>() }
  let text = ''
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', () => resolve())
    child.stderr.on('data', (d: Buffer) => reject(new Error(d.toString())))
    child.stdout.on('data', (d: Buffer) => {
      const lines = (text + d.toString()).split('\n')
      text = lines.pop() ?? ''
      for (const line of lines) {
        const [kind, ...ids] = line.split(' ')
        const nums = ids.filter(Boolean).map(Number)
        if (kind === 'issued') for (const id of nums) seen.issued.add(id)
        else {
          seen.confirmedUpTo = nums[0] ?? 0
          for (const id of nums.slice(1)) seen.removed.add(id)
        }
      }
      if (seen.confirmedUpTo > upTo) child.kill('SIGKILL')
    })
  })
  return seen
}

describe('segment store delivery lease', () => {
  test('after a crash every message up to the lease is delivered; after a clean close only the marked', async () => {
    const dir = await tempDir()
    const s = await openSegmentStore(dir)
    const q = await s.openQueue('/', 'q')
    for (let n = 1; n <= 10; n++) q.append(message(n))
    await q.flush()
    const wait = q.markDelivered(3)
    assert.ok(wait, 'the first delivery waits for a lease')
    await wait
    assert.equal(q.markDelivered(7), undefined, 'later deliveries are covered by it')
    // What a SIGKILL leaves: the files as they are now, without the buffered delivered-marks.
    const crashed = await tempDir()
    await cp(dir, crashed, { recursive: true })
    await withQueue(crashed, {}, async (c) => {
      assert.deepEqual(
        (await recoverAll(c)).filter((m) => !m.delivered),
        [],
      )
    })
    await withQueue(crashed, {}, async (c) => {
      assert.equal(
        (await recoverAll(c)).filter((m) => m.delivered).length,
        10,
        'flags kept after a clean close',
      )
    })
    await s.close()
    await withQueue(dir, {}, async (c) => {
      const delivered = (await recoverAll(c)).filter((m) => m.delivered).map((m) => m.id)
      assert.deepEqual(delivered, [3, 7])
    })
  })
})

describe('segment store crash', () => {
  test('a writer killed mid-stream loses nothing flush() confirmed and revives nothing it removed', async () => {
    const dir = await tempDir()
    const seen = await runKilledWriter(dir, 4000)
    await withQueue(dir, { segmentSize: 16384 }, async (q) => {
      const got = new Set((await recoverAll(q)).map((m) => m.id))
      for (let id = 1; id <= seen.confirmedUpTo; id++) {
        if (seen.removed.has(id)) assert.ok(!got.has(id), `message ${id} was removed`)
        // A removal issued but not confirmed may or may not have reached the disk.
        else if (!seen.issued.has(id)) assert.ok(got.has(id), `message ${id} was confirmed`)
      }
    })
  })
})

describe('segment store performance', () => {
  test('group commit: concurrent flush() calls share fsyncs', async (t) => {
    const dir = await tempDir()
    await withQueue(dir, { autoFlushMs: 0 }, async (q) => {
      const before = q.syncCount
      await Promise.all(Array.from({ length: 100 }, (_, n) => (q.append(message(n)), q.flush())))
      assert.equal(q.syncCount - before, 1, '100 flushes in one turn: one fsync')
      // 200 publishers, each waiting for its confirm before publishing again.
      const start = q.syncCount
      const publisher = async (p: number): Promise<void> => {
        for (let i = 0; i < 20; i++) {
          q.append(message(p))
          await q.flush()
        }
      }
      await Promise.all(Array.from({ length: 200 }, (_, p) => publisher(p)))
      const syncs = q.syncCount - start
      t.diagnostic(`200 publishers x 20 confirms: 4000 flushes, ${syncs} fsync cycles`)
      assert.ok(syncs <= 100, `4000 flushes took ${syncs} fsyncs`)
      assert.equal(q.stats().messages, 4100)
    })
  })

  test('100k messages: append + flush + recover (timings in diagnostics)', async (t) => {
    const dir = await tempDir()
    const n = 100_000
    const body = Buffer.alloc(100, 1)
    const msg: PersistedMessage = {
      exchange: 'amq.direct',
      routingKey: 'rk',
      properties: { deliveryMode: 2 },
      body,
    }
    await withQueue(dir, {}, async (q) => {
      const t0 = performance.now()
      for (let i = 0; i < n; i += 256) {
        for (let j = 0; j < 256 && i + j < n; j++) q.append(msg)
        await q.flush()
      }
      const ms = performance.now() - t0
      t.diagnostic(`append+flush every 256: ${Math.round((n / ms) * 1000)} msg/s (${q.syncCount} fsyncs)`)
    })
    const t1 = performance.now()
    await withQueue(dir, {}, async (q) => {
      const opened = performance.now() - t1
      let count = 0
      await q.recover(() => count++)
      t.diagnostic(`open ${opened.toFixed(0)} ms, open+recover ${(performance.now() - t1).toFixed(0)} ms`)
      assert.equal(count, n)
    })
  })
})
