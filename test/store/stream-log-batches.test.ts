// Encoded batches in the stream log (appendEncoded): stored as they came in batch chunks, joined with the
// batches appended beside them, never with messages appended one by one; read back whole with their CRC
// (a reader from the middle of one is told how many to skip); kept across a reopen, a torn tail cut off;
// logs of record chunks only (as written before batches existed) read as before.
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { after, test } from 'node:test'
import type { EncodedBatch, PersistedMessage, StreamChunk, StreamLogOptions } from '../../src/core/ports.js'
import { FileStreamLog } from '../../src/store/index.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-stream-batch-'))
  dirs.push(dir)
  return dir
}

const opts = (maxSegmentBytes = 1_000_000): StreamLogOptions => ({
  maxSegmentBytes,
  retention: { maxBytes: undefined, maxAgeMs: undefined },
})

/** A batch of length-prefixed entries, as the Stream protocol front end makes them. */
function batch(...entries: string[]): EncodedBatch {
  const parts = entries.map((e) => {
    const b = Buffer.alloc(4 + e.length)
    b.writeUInt32BE(e.length, 0)
    b.write(e, 4)
    return b
  })
  return { data: Buffer.concat(parts), count: entries.length }
}

function entries(data: Buffer): string[] {
  const out: string[] = []
  for (let p = 0; p < data.length; p += 4 + data.readUInt32BE(p)) {
    out.push(data.toString('utf8', p + 4, p + 4 + data.readUInt32BE(p)))
  }
  return out
}

function message(body: string): PersistedMessage {
  return { exchange: '', routingKey: 'rk', properties: {}, body: Buffer.from(body) }
}

async function readAll(log: FileStreamLog, offset: number): Promise<StreamChunk[]> {
  const reader = log.openReader(offset)
  const out: StreamChunk[] = []
  for (let c = await reader.read(); c; c = await reader.read()) out.push(c)
  reader.close()
  return out
}

/** Each chunk as [first offset, count, skip, what it holds]. */
const summary = (chunks: StreamChunk[]): unknown[] =>
  chunks.map((c) => [
    c.firstOffset,
    c.count,
    c.skip,
    c.encoded ? entries(c.encoded.data) : (c.messages ?? []).map((m) => `msg:${m.body.toString()}`),
  ])

test('batches appended together are one chunk with their CRC; messages appended alone stay apart', async () => {
  const log = new FileStreamLog(await tempDir(), opts())
  assert.equal(log.appendEncoded(batch('a', 'b')), 0)
  assert.equal(log.appendEncoded(batch('c')), 2)
  assert.equal(log.append(message('m')), 3)
  assert.equal(log.appendEncoded(batch('d', 'e')), 4)
  await log.flush()
  const chunks = await readAll(log, 0)
  assert.deepEqual(summary(chunks), [
    [0, 3, 0, ['a', 'b', 'c']],
    [3, 1, 0, ['msg:m']],
    [4, 2, 0, ['d', 'e']],
  ])
  const first = chunks[0]?.encoded
  assert.ok(first)
  assert.equal(first.crc, crc32(first.data) >>> 0, "the chunk's CRC is its data's")
  // From the middle of a batch chunk: the whole chunk, with how many of its messages to skip.
  assert.deepEqual(summary(await readAll(log, 1)), [
    [1, 2, 1, ['a', 'b', 'c']],
    [3, 1, 0, ['msg:m']],
    [4, 2, 0, ['d', 'e']],
  ])
  await log.close()
})

test('batch chunks survive a reopen; a torn batch chunk at the tail is cut off and appends follow', async () => {
  const dir = await tempDir()
  const log = new FileStreamLog(dir, opts())
  log.append(message('m0'))
  await log.flush()
  log.appendEncoded(batch('a', 'b'))
  await log.flush()
  log.appendEncoded(batch('c', 'd', 'e'))
  await log.flush()
  await log.close()
  const segment = join(dir, (await readdir(dir)).find((f) => f.endsWith('.segment')) as string)
  await truncate(segment, (await stat(segment)).size - 2) // the last chunk loses its last bytes
  const reopened = new FileStreamLog(dir, opts())
  assert.equal(reopened.nextOffset, 3)
  assert.equal(reopened.appendEncoded(batch('f')), 3)
  await reopened.flush()
  assert.deepEqual(summary(await readAll(reopened, 0)), [
    [0, 1, 0, ['msg:m0']],
    [1, 2, 0, ['a', 'b']],
    [3, 1, 0, ['f']],
  ])
  await reopened.close()
})

test('batch chunks roll segments like record chunks; a reader crosses them', async () => {
  const log = new FileStreamLog(await tempDir(), opts(300))
  for (let i = 0; i < 10; i++) {
    log.appendEncoded(batch(`x${i}`.padEnd(100, '.')))
    await log.flush()
  }
  assert.ok(log.segments.length > 2, `${log.segments.length} segments`)
  const read = (await readAll(log, 0)).flatMap((c) => entries(c.encoded?.data ?? Buffer.alloc(0)))
  assert.deepEqual(
    read.map((e) => e.replace(/\.+$/, '')),
    Array.from({ length: 10 }, (_, i) => `x${i}`),
  )
  await log.close()
})
