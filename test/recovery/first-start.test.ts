// Warren issue 4, starting on data directories that hold little or nothing: missing, empty, killed during
// its first start, only a stale temp definitions file, or a stale temp file next to good definitions
// (a crash during a save), with leftovers of an interrupted queue deletion and the store of a queue whose
// definition never made it to disk.
import assert from 'node:assert/strict'
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import amqp from 'amqplib'
import { queueDirName } from '../../src/store/index.js'
import {
  drainQueue,
  killAll,
  sleep,
  spawnWarren,
  startWarren,
  tempDataDir,
  type WarrenProcess,
} from './harness.js'

const dirs: Array<{ dir: string; cleanup: () => Promise<void> }> = []
after(async () => {
  await killAll()
  for (const d of dirs) await d.cleanup()
})
async function newDir(name: string): Promise<string> {
  const d = await tempDataDir(name)
  dirs.push(d)
  return d.dir
}

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  )

/** Declares a durable queue and puts persistent messages in it, with confirms. */
async function fill(w: WarrenProcess, queue: string, bodies: readonly string[]): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createConfirmChannel()
  await ch.assertQueue(queue, { durable: true })
  for (const b of bodies) ch.sendToQueue(queue, Buffer.from(b), { persistent: true })
  await ch.waitForConfirms()
  await conn.close()
}

async function bodies(w: WarrenProcess, queue: string): Promise<string[]> {
  const conn = await w.connect()
  try {
    const ch = await conn.createChannel()
    return (await drainQueue(ch, queue)).map((d) => d.message.content.toString())
  } finally {
    await conn.close()
  }
}

/** The reply code a passive declare of queue gets (200 when it exists). */
async function queueStatus(w: WarrenProcess, queue: string): Promise<number> {
  const conn = await w.connect()
  try {
    const ch = await conn.createChannel()
    ch.on('error', () => undefined)
    await ch.checkQueue(queue)
    return 200
  } catch (err) {
    return (err as { code: number }).code
  } finally {
    await conn.close().catch(() => undefined)
  }
}

/** A first start: default vhost and user work, nothing recovered, the definitions file gets written. */
async function checkFirstStart(w: WarrenProcess): Promise<void> {
  assert.ok(!w.logs.some((l) => /^recovered /.test(l.msg)), 'a first start recovers nothing')
  const conn = await amqp.connect(w.url)
  await conn.close()
  await fill(w, 'first.q', ['one', 'two'])
  // The queue's declare-ok came after the definitions were saved.
  const defs = JSON.parse(await readFile(join(w.dataDir, 'definitions.json'), 'utf8')) as {
    users: Array<{ name: string }>
    queues: Array<{ name: string }>
  }
  assert.deepEqual(
    defs.users.map((u) => u.name),
    ['guest'],
  )
  assert.deepEqual(
    defs.queues.map((q) => q.name),
    ['first.q'],
  )
}

describe('first start and stale files', () => {
  test('a data directory that does not exist yet is created; a restart recovers what it got', async () => {
    const dir = join(await newDir('first-missing'), 'not', 'yet')
    let w = await startWarren(dir)
    await checkFirstStart(w)
    assert.deepEqual(await w.stop(), { code: 0, signal: null })
    w = await startWarren(dir)
    assert.deepEqual(await bodies(w, 'first.q'), ['one', 'two'])
    await w.crash()
  })

  test('an empty data directory: a first start, then SIGKILL and a restart', async () => {
    const dir = await newDir('first-empty')
    let w = await startWarren(dir)
    await checkFirstStart(w)
    await w.crash()
    w = await startWarren(dir)
    assert.deepEqual(await bodies(w, 'first.q'), ['one', 'two'])
    await w.crash()
  })

  test('killed during its first start, at several moments: the next start is still a working first start', async () => {
    for (const delay of [200, 350]) {
      const dir = await newDir(`first-killed-${delay}`)
      const early = spawnWarren(dir)
      await sleep(delay)
      await early.crash()
      const w = await startWarren(dir)
      const conn = await amqp.connect(w.url) // guest/guest exists either way
      await conn.close()
      await fill(w, 'first.q', ['x'])
      await w.crash()
      const again = await startWarren(dir)
      assert.deepEqual(await bodies(again, 'first.q'), ['x'], `killed ${delay} ms into the first start`)
      await again.crash()
    }
  })

  test('only a stale, half-written definitions.json.tmp: ignored, a first start, then replaced', async () => {
    const dir = await newDir('first-stale-tmp')
    await writeFile(join(dir, 'definitions.json.tmp'), '{"vhosts":[{"name":"/"}],"users":[{"na')
    const w = await startWarren(dir)
    assert.deepEqual(w.warnings, [])
    await checkFirstStart(w)
    assert.equal(
      await exists(join(dir, 'definitions.json.tmp')),
      false,
      'the next save replaces the temp file',
    )
    await w.crash()
  })

  test('good definitions next to a stale temp file and store leftovers: the definitions win', async () => {
    const dir = await newDir('stale-defs')
    let w = await startWarren(dir)
    await fill(w, 'stale.keep', ['kept'])
    await fill(w, 'stale.orphan', ['orphaned'])
    assert.deepEqual(await w.stop(), { code: 0, signal: null })

    const defsPath = join(dir, 'definitions.json')
    const defs = JSON.parse(await readFile(defsPath, 'utf8')) as { queues: Array<{ name: string }> }
    // A save that was cut short before its rename: it names a queue that must not appear.
    const ghost = {
      ...defs,
      queues: [...defs.queues, { ...(defs.queues[0] as object), name: 'stale.ghost' }],
    }
    await writeFile(join(dir, 'definitions.json.tmp'), JSON.stringify(ghost))
    // stale.orphan's store exists but its definition never reached the disk (crash between the two).
    defs.queues = defs.queues.filter((q) => q.name !== 'stale.orphan')
    await writeFile(defsPath, JSON.stringify(defs))
    // A queue directory whose deletion was interrupted.
    const deleting = join(dir, 'queues', `${queueDirName('/', 'gone')}.deleting-0badf00d`)
    await mkdir(deleting)
    await writeFile(join(deleting, '0000000000000001.seg'), 'leftover')

    w = await startWarren(dir)
    assert.equal(await queueStatus(w, 'stale.ghost'), 404)
    assert.equal(await queueStatus(w, 'stale.orphan'), 404)
    assert.deepEqual(await bodies(w, 'stale.keep'), ['kept'])
    assert.ok(
      w.warnings.some(
        (l) =>
          l.msg === 'deleting stored messages of a queue that no longer exists' &&
          l['queue'] === 'stale.orphan',
      ),
      w.transcript(),
    )
    const left = await readdir(join(dir, 'queues'))
    assert.deepEqual(
      left.sort(),
      [queueDirName('/', 'stale.keep')],
      'orphaned and half-deleted queue directories go',
    )

    // The next save overwrites the temp file; a crash after it keeps the new queue and no ghost.
    await fill(w, 'stale.new', ['new'])
    await w.crash()
    w = await startWarren(dir)
    assert.equal(await queueStatus(w, 'stale.ghost'), 404)
    assert.deepEqual(await bodies(w, 'stale.new'), ['new'])
    await w.crash()
  })
})
