// Warren issue 4, torn tails: after a crash the last bytes of a segment file or ack log may be half
// written, zeros (the file system extended the file before the data landed) or garbage. `warren server`
// must still start, log what it dropped (file, offset, byte count, reason), and serve everything before it.
//
// One data directory is prepared (messages published with confirms, some consumed and acked, then
// SIGKILL); each case damages a copy of it and restarts the broker on the copy.
import assert from 'node:assert/strict'
import { appendFile, cp, open, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { queueDirName } from '../../src/store/index.js'
import {
  checkMessage,
  drainQueue,
  killAll,
  type LogLine,
  makeMessage,
  Random,
  startWarren,
  tempDataDir,
  type WarrenProcess,
} from './harness.js'

const MAIN = 'torn.q'
const ACKS = 'torn.acks'
const N = 100
const ids = Array.from({ length: N }, (_, i) => `m${i}`)
/** torn.acks: a0..a19 published, a0..a9 acked, then a20 published (its confirm covers the acks). */
const ackIds = [...Array.from({ length: 10 }, (_, i) => `a${i + 10}`), 'a20']

const dirs: Array<{ dir: string; cleanup: () => Promise<void> }> = []
let prepared: string

async function newDir(name: string): Promise<string> {
  const d = await tempDataDir(name)
  dirs.push(d)
  return d.dir
}

async function publish(w: WarrenProcess, queue: string, list: readonly string[], rnd: Random): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createConfirmChannel()
  await ch.assertQueue(queue, { durable: true })
  for (const id of list) {
    const { body, options } = makeMessage(id, rnd.int(100, 900), rnd)
    ch.sendToQueue(queue, body, options)
  }
  await ch.waitForConfirms()
  await conn.close()
}

/** A copy of the prepared data directory, and the path of a file in torn.q's or torn.acks' directory. */
async function copyPrepared(
  name: string,
): Promise<{ dir: string; file: (queue: string, ext: string, which?: 'last' | 'first') => Promise<string> }> {
  const dir = await newDir(name)
  await cp(prepared, dir, { recursive: true })
  return {
    dir,
    file: async (queue, ext, which = 'last') => {
      const qdir = join(dir, 'queues', queueDirName('/', queue))
      const names = (await readdir(qdir)).filter((n) => n.endsWith(`.${ext}`)).sort()
      assert.ok(names.length > 0, `no .${ext} file in ${qdir}`)
      return join(qdir, (which === 'last' ? names[names.length - 1] : names[0]) as string)
    },
  }
}

async function drainIds(w: WarrenProcess, queue: string): Promise<string[]> {
  const conn = await w.connect()
  try {
    const ch = await conn.createChannel()
    return (await drainQueue(ch, queue)).map((d) => checkMessage(d.message))
  } finally {
    await conn.close()
  }
}

function dropped(w: WarrenProcess): LogLine[] {
  return w.warnings.filter((l) => /^message store recovery dropped/.test(l.msg))
}

describe('torn tails and damaged files', () => {
  before(async () => {
    prepared = await newDir('torn-prepared')
    const rnd = new Random(4)
    const w = await startWarren(prepared)
    await publish(w, MAIN, ids, rnd)
    await publish(
      w,
      ACKS,
      Array.from({ length: 20 }, (_, i) => `a${i}`),
      rnd,
    )
    // Ack a0..a9, then publish a20 on the same channel: its confirm means the acks are on disk too.
    const conn = await w.connect()
    const ch = await conn.createConfirmChannel()
    for (let i = 0; i < 10; i++) {
      const m = await ch.get(ACKS)
      assert.ok(m)
      assert.equal(checkMessage(m), `a${i}`)
      ch.ack(m)
    }
    const { body, options } = makeMessage('a20', 300, rnd)
    ch.sendToQueue(ACKS, body, options)
    await ch.waitForConfirms()
    await w.crash()
  })
  after(async () => {
    await killAll()
    for (const d of dirs) await d.cleanup()
  })

  test('the undamaged copy recovers everything, with no warning', async () => {
    const { dir } = await copyPrepared('torn-clean')
    const w = await startWarren(dir)
    assert.deepEqual(w.warnings, [])
    assert.deepEqual(await drainIds(w, MAIN), ids)
    assert.deepEqual(await drainIds(w, ACKS), ackIds)
    await w.crash()
  })

  test('garbage after the last record: dropped and logged; later appends and restarts work', async () => {
    const { dir, file } = await copyPrepared('torn-garbage')
    const seg = await file(MAIN, 'seg')
    const size = (await stat(seg)).size
    const garbage = new Random(5).bytes(1000)
    garbage[0] = 0xff // an impossible record length, whatever the random bytes
    await appendFile(seg, garbage)
    let w = await startWarren(dir)
    const warn = dropped(w)
    assert.equal(warn.length, 1, w.transcript())
    assert.equal(warn[0]?.msg.startsWith('message store recovery dropped 1000 bytes: '), true, warn[0]?.msg)
    assert.deepEqual(
      {
        file: warn[0]?.['file'],
        offset: warn[0]?.['offset'],
        droppedBytes: warn[0]?.['droppedBytes'],
        queue: warn[0]?.['queue'],
      },
      { file: seg, offset: size, droppedBytes: 1000, queue: MAIN },
    )
    // Nothing drained yet: publish more, crash again, and everything must still be there.
    const more = ['n0', 'n1', 'n2', 'n3', 'n4']
    await publish(w, MAIN, more, new Random(6))
    await w.crash()
    w = await startWarren(dir)
    assert.deepEqual(await drainIds(w, MAIN), [...ids, ...more])
    assert.deepEqual(await drainIds(w, ACKS), ackIds)
    await w.crash()
  })

  test('zeros after the last record (file extended, data never written): dropped', async () => {
    const { dir, file } = await copyPrepared('torn-zeros')
    const seg = await file(MAIN, 'seg')
    await appendFile(seg, Buffer.alloc(4096))
    const w = await startWarren(dir)
    const warn = dropped(w)
    assert.equal(warn.length, 1, w.transcript())
    assert.equal(warn[0]?.['droppedBytes'], 4096)
    assert.deepEqual(await drainIds(w, MAIN), ids)
    await w.crash()
  })

  test('last record cut short: that record is dropped, the rest is there', async () => {
    const { dir, file } = await copyPrepared('torn-truncated')
    const seg = await file(MAIN, 'seg')
    const size = (await stat(seg)).size
    await truncate(seg, size - 5)
    const w = await startWarren(dir)
    const warn = dropped(w)
    assert.equal(warn.length, 1, w.transcript())
    assert.match(String(warn[0]?.['reason']), /^truncated record/)
    assert.deepEqual(await drainIds(w, MAIN), ids.slice(0, -1))
    await w.crash()
  })

  test('a flipped byte in the last record: checksum mismatch, that record is dropped', async () => {
    const { dir, file } = await copyPrepared('torn-flipped')
    const seg = await file(MAIN, 'seg')
    const size = (await stat(seg)).size
    const fh = await open(seg, 'r+')
    const b = Buffer.alloc(1)
    await fh.read(b, 0, 1, size - 10)
    b[0] = (b[0] as number) ^ 0x20
    await fh.write(b, 0, 1, size - 10)
    await fh.close()
    const w = await startWarren(dir)
    const warn = dropped(w)
    assert.equal(warn.length, 1, w.transcript())
    assert.equal(warn[0]?.['reason'], 'checksum mismatch')
    assert.deepEqual(await drainIds(w, MAIN), ids.slice(0, -1))
    await w.crash()
  })

  test('a segment with a torn header is deleted; one with a bad header is set aside as .corrupt', async () => {
    const { dir, file } = await copyPrepared('torn-header')
    const seg = await file(MAIN, 'seg')
    const qdir = join(seg, '..')
    const next = parseInt((seg.split('/').pop() as string).slice(0, 16), 16) + N
    const name = (base: number): string => join(qdir, `${base.toString(16).padStart(16, '0')}.seg`)
    await writeFile(name(next), Buffer.from('WRNSEG\0'))
    await writeFile(name(next + 1), new Random(7).bytes(64))
    const w = await startWarren(dir)
    const reasons = dropped(w).map((l) => l['reason'])
    assert.deepEqual(
      reasons.sort(),
      ['bad segment header, renamed to .corrupt', 'torn segment header'],
      w.transcript(),
    )
    const left = (await readdir(qdir)).sort()
    assert.ok(!left.includes(`${next.toString(16).padStart(16, '0')}.seg`), left.join(' '))
    assert.ok(left.includes(`${(next + 1).toString(16).padStart(16, '0')}.seg.corrupt`), left.join(' '))
    assert.deepEqual(await drainIds(w, MAIN), ids)
    // New messages get ids past the damaged files and survive a crash.
    await publish(w, MAIN, ['after'], new Random(8))
    await w.crash()
    const w2 = await startWarren(dir)
    assert.deepEqual(await drainIds(w2, MAIN), ['after'])
    await w2.crash()
  })

  test('ack log: a torn last entry is cut off, an entry with a bad checksum is skipped', async () => {
    const { dir, file } = await copyPrepared('torn-acklog')
    const ack = await file(ACKS, 'ack', 'first')
    const log = await readFile(ack)
    assert.ok(log.length >= 10 * 8, `ack log of ${log.length} bytes`)
    // The entry that removes a3 is damaged (entries: u32 word, bit 31 = delivered-mark, low bits = the
    // record's position; u32 CRC), so a3 comes back: RabbitMQ may redeliver acked messages after a crash
    // too. Then half an entry at the end.
    let at = -1
    for (let pos = 0; pos + 8 <= log.length; pos += 8) if (log.readUInt32BE(pos) === 3) at = pos
    assert.ok(at >= 0, 'no remove entry for position 3')
    const fh = await open(ack, 'r+')
    await fh.write(Buffer.from([0xde, 0xad]), 0, 2, at + 5)
    await fh.close()
    await appendFile(ack, Buffer.from([1, 2, 3]))
    const w = await startWarren(dir)
    const reasons = dropped(w).map((l) => l['reason'])
    assert.deepEqual(
      reasons.sort(),
      ['1 ack entries with bad checksum skipped', 'torn ack entry'],
      w.transcript(),
    )
    assert.deepEqual(await drainIds(w, ACKS), ['a3', ...ackIds])
    assert.deepEqual(await drainIds(w, MAIN), ids)
    await w.crash()
  })
})
