// The stream log store (src/store/stream): chunks per group commit, segments, seeks by offset and by time
// through the index, retention by whole segments, and recovery of a torn tail after a crash.
import assert from 'node:assert/strict'
import { appendFile, mkdtemp, open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type {
  PersistedMessage,
  StreamChunk,
  StreamLogOptions,
  StreamRetention,
} from '../../src/core/ports.js'
import { FileStreamLog } from '../../src/store/index.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-stream-'))
  dirs.push(dir)
  return dir
}

const NO_RETENTION: StreamRetention = { maxBytes: undefined, maxAgeMs: undefined }

function opts(maxSegmentBytes = 1_000_000, retention = NO_RETENTION): StreamLogOptions {
  return { maxSegmentBytes, retention }
}

function message(body: string, size = 0): PersistedMessage {
  return {
    exchange: 'ex',
    routingKey: 'rk',
    properties: { deliveryMode: 2, headers: { body } },
    body: Buffer.from(body.padEnd(size, '.')),
  }
}

/** Appends one round of messages (one chunk) and waits for its commit. */
async function round(log: FileStreamLog, bodies: string[], size = 0): Promise<void> {
  for (const b of bodies) log.append(message(b, size))
  await log.flush()
}

/** Everything a reader from `offset` reads up to the commit point. */
async function readAll(log: FileStreamLog, offset: number): Promise<StreamChunk[]> {
  const reader = log.openReader(offset)
  const out: StreamChunk[] = []
  for (let c = await reader.read(); c; c = await reader.read()) out.push(c)
  reader.close()
  return out
}

const bodiesOf = (chunks: StreamChunk[]): string[] =>
  chunks.flatMap((c) => (c.messages ?? []).map((m) => m.body.toString().replace(/\.+$/, '')))

const segmentFiles = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((f) => f.endsWith('.segment')).sort()

test('messages appended in one turn are one chunk; offsets run on from 0', async () => {
  const log = new FileStreamLog(await tempDir(), opts(), { now: () => 5000 })
  assert.equal(log.append(message('a')), 0)
  assert.equal(log.append(message('b')), 1)
  assert.equal(log.committedOffset, 0) // nothing readable before the fsync
  await log.flush()
  await round(log, ['c'])
  const chunks = await readAll(log, 0)
  assert.deepEqual(
    chunks.map((c) => [c.firstOffset, c.messages?.length, c.timestamp]),
    [
      [0, 2, 5000],
      [2, 1, 5000],
    ],
  )
  const m = chunks[0]?.messages?.[1] as PersistedMessage
  assert.deepEqual([m.exchange, m.routingKey, m.properties.deliveryMode], ['ex', 'rk', 2])
  assert.deepEqual(m.properties.headers, { body: 'b' })
  // A reader from the middle of a chunk gets the rest of it.
  assert.deepEqual(bodiesOf(await readAll(log, 1)), ['b', 'c'])
  assert.deepEqual([log.firstOffset, log.nextOffset, log.committedOffset], [0, 3, 3])
  await log.close()
})

test('segments roll at the maximum size and readers cross them', async () => {
  const dir = await tempDir()
  const log = new FileStreamLog(dir, opts(2000))
  for (let r = 0; r < 10; r++) await round(log, [`m${r}a`, `m${r}b`], 400)
  assert.ok((await segmentFiles(dir)).length >= 4, 'several segments')
  for (const f of await segmentFiles(dir)) assert.ok((await stat(join(dir, f))).size <= 2000)
  const all = bodiesOf(await readAll(log, 0))
  assert.equal(all.length, 20)
  assert.equal(all[19], 'm9b')
  await log.close()
})

test('attaching at an offset or a time is a seek through the index: older data is never read', async () => {
  const dir = await tempDir()
  let now = 1000
  const log = new FileStreamLog(dir, opts(3000), { now: () => now })
  for (let r = 0; r < 30; r++) {
    now = 1000 * (r + 1)
    await round(log, [`r${r}x`, `r${r}y`, `r${r}z`], 200)
  }
  // Garbage in every segment but the last two: a scan from the start would trip over it.
  const files = await segmentFiles(dir)
  for (const f of files.slice(0, -2)) {
    const size = (await stat(join(dir, f))).size
    await writeFile(join(dir, f), Buffer.alloc(size, 0xee))
  }
  const target = log.nextOffset - 4 // the last message of the last-but-one round
  assert.deepEqual(bodiesOf(await readAll(log, target)), ['r28z', 'r29x', 'r29y', 'r29z'])
  assert.equal(await log.resolveStart({ kind: 'timestamp', at: 29_500 }), 87)
  assert.equal(await log.resolveStart({ kind: 'timestamp', at: 30_000 }), 87)
  assert.equal(await log.resolveStart({ kind: 'timestamp', at: 29_000 }), 84)
  assert.equal(await log.resolveStart({ kind: 'timestamp', at: 99_000 }), 90) // after the last chunk
  assert.equal(await log.resolveStart({ kind: 'timestamp', at: 0 }), 0)
  assert.equal(await log.resolveStart({ kind: 'last' }), 87)
  assert.equal(await log.resolveStart({ kind: 'next' }), 90)
  assert.equal(await log.resolveStart({ kind: 'offset', offset: 200 }), 200)
  await log.close()
})

test('retention by size deletes whole segments from the old end, never the one being written', async () => {
  const dir = await tempDir()
  const log = new FileStreamLog(dir, opts(2000, { maxBytes: 5000, maxAgeMs: undefined }))
  for (let r = 0; r < 20; r++) await round(log, [`m${r}`], 900)
  const files = await segmentFiles(dir)
  assert.ok(log.bytes <= 5000 + 2000, `${log.bytes} bytes kept`)
  assert.ok(log.firstOffset > 0)
  // What is left starts at a segment boundary: the first kept offset names the oldest file.
  assert.equal(files[0], `${String(log.firstOffset).padStart(20, '0')}.segment`)
  const kept = bodiesOf(await readAll(log, 0)) // a reader before the start begins at the oldest kept
  assert.equal(kept[0], `m${log.firstOffset}`)
  assert.equal(kept.at(-1), 'm19')
  assert.equal(await log.resolveStart({ kind: 'first' }), log.firstOffset)
  assert.equal(await log.resolveStart({ kind: 'offset', offset: 1 }), log.firstOffset)
  // A tiny limit still keeps the active segment.
  log.setRetention({ maxBytes: 1, maxAgeMs: undefined })
  assert.equal((await segmentFiles(dir)).length, 1)
  assert.ok(log.committedOffset - log.firstOffset >= 1)
  await log.close()
})

test('retention by age deletes segments whose newest chunk is older than x-max-age', async () => {
  const dir = await tempDir()
  let now = 0
  const log = new FileStreamLog(dir, opts(1500), { now: () => now })
  for (let r = 0; r < 9; r++) {
    now = r * 1000
    await round(log, [`m${r}`], 700)
  }
  const before = (await segmentFiles(dir)).length
  now = 9000
  log.setRetention({ maxBytes: undefined, maxAgeMs: 4500 }) // keeps what was written from 4500 on
  const after = await segmentFiles(dir)
  assert.ok(after.length < before)
  const kept = bodiesOf(await readAll(log, 0))
  assert.ok(kept.includes('m5') && !kept.includes('m1'), kept.join())
  await log.close()
})

test('a reopened log recovers its offsets, chunks and timestamps and appends after them', async () => {
  const dir = await tempDir()
  const log = new FileStreamLog(dir, opts(2000), { now: () => 7000 })
  for (let r = 0; r < 6; r++) await round(log, [`m${r}a`, `m${r}b`], 300)
  await log.close()
  const again = new FileStreamLog(dir, opts(2000), { now: () => 8000 })
  assert.deepEqual([again.firstOffset, again.nextOffset, again.committedOffset], [0, 12, 12])
  assert.equal(await again.resolveStart({ kind: 'last' }), 10)
  assert.equal(await again.resolveStart({ kind: 'timestamp', at: 7500 }), 12)
  await round(again, ['n'])
  const chunks = await readAll(again, 10)
  assert.deepEqual(bodiesOf(chunks), ['m5a', 'm5b', 'n'])
  assert.deepEqual(
    chunks.map((c) => c.timestamp),
    [7000, 8000],
  )
  await again.close()
})

/** A log of three chunks (offsets 0-1, 2-3, 4-5) in one segment, closed; returns its file paths. */
async function threeChunks(): Promise<{ dir: string; data: string; index: string }> {
  const dir = await tempDir()
  const log = new FileStreamLog(dir, opts())
  for (const r of ['a', 'b', 'c']) await round(log, [`${r}1`, `${r}2`], 50)
  await log.close()
  const base = join(dir, '0'.padStart(20, '0'))
  return { dir, data: `${base}.segment`, index: `${base}.index` }
}

test('recovery after a torn tail: a half-written chunk is cut off', async () => {
  const { dir, data } = await threeChunks()
  const size = (await stat(data)).size
  await truncate(data, size - 10) // the last chunk lost its end; its index entry is there
  const log = new FileStreamLog(dir, opts())
  assert.equal(log.nextOffset, 4)
  assert.deepEqual(bodiesOf(await readAll(log, 0)), ['a1', 'a2', 'b1', 'b2'])
  await round(log, ['d1'])
  assert.deepEqual(bodiesOf(await readAll(log, 3)), ['b2', 'd1'])
  await log.close()
})

test('recovery after a torn tail: garbage past the last chunk goes, a chunk the index lacks is indexed', async () => {
  const { dir, data, index } = await threeChunks()
  await truncate(index, 32 * 2) // the crash came before the last chunk's index entry
  await appendFile(data, Buffer.from('WSC1 and then the power went')) // and a torn next chunk
  const log = new FileStreamLog(dir, opts())
  assert.equal(log.nextOffset, 6)
  assert.equal((await stat(index)).size, 32 * 3)
  assert.deepEqual(bodiesOf(await readAll(log, 5)), ['c2'])
  assert.equal(await log.resolveStart({ kind: 'last' }), 4)
  await round(log, ['d1'])
  assert.deepEqual(bodiesOf(await readAll(log, 0)), ['a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'd1'])
  await log.close()
})

test('recovery after a torn tail: an index entry for a chunk that never reached the disk is dropped', async () => {
  const { dir, data } = await threeChunks()
  const size = (await stat(data)).size
  // One byte of the last chunk's body never made it: its CRC no longer matches.
  const fd = await open(data, 'r+')
  await fd.write(Buffer.from([0x00]), 0, 1, size - 3)
  await fd.close()
  const log = new FileStreamLog(dir, opts())
  assert.equal(log.nextOffset, 4)
  assert.equal((await stat(data)).size < size, true)
  await log.close()
})

test('a reader overtaken by retention goes on from the oldest message kept', async () => {
  const dir = await tempDir()
  const log = new FileStreamLog(dir, opts(1000, { maxBytes: 2500, maxAgeMs: undefined }))
  await round(log, ['m0'], 600)
  const reader = log.openReader(0)
  assert.deepEqual(
    (await reader.read())?.messages?.map((m) => m.body.toString().replace(/\.+$/, '')),
    ['m0'],
  )
  for (let r = 1; r < 12; r++) await round(log, [`m${r}`], 600)
  assert.ok(log.firstOffset > 1)
  const next = await reader.read()
  assert.ok(next && next.firstOffset >= log.firstOffset - 2, `resumed at ${next?.firstOffset}`)
  reader.close()
  await log.close()
})

test('destroy deletes the files; what a racing publish appends afterwards is dropped, not waited for', async () => {
  const dir = await tempDir()
  const log = new FileStreamLog(dir, opts())
  await round(log, ['a'])
  log.append(message('in flight'))
  const destroyed = log.destroy()
  await destroyed
  await assert.rejects(readdir(dir), { code: 'ENOENT' })
  log.append(message('too late'))
  await log.flush() // resolves: nothing to wait for
  await log.close() // and closing again is harmless
})
