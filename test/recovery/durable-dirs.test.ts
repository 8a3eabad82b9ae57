// Directories the stores create must survive a power cut: a directory's entry lives in its parent, so the
// parent of each new directory has to be fsynced, or a crash can lose the whole message store (its files
// fsynced, but unreachable). Checked by recording which directories get fsynced (Linux: /proc/self/fd).
import assert from 'node:assert/strict'
import { readlinkSync } from 'node:fs'
import { type FileHandle, mkdtemp, open, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { openDefinitionStore, openSegmentStore } from '../../src/store/index.js'

type SyncFn = (this: FileHandle) => Promise<void>
const synced: string[] = []
let restore: (() => void) | undefined
let root: string

before(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'warren-dirs-')))
  const probe = await open(process.execPath, 'r')
  const proto = Object.getPrototypeOf(probe) as { sync: SyncFn; datasync: SyncFn }
  await probe.close()
  const { sync, datasync } = proto
  const record = (fn: SyncFn): SyncFn =>
    function (this: FileHandle) {
      synced.push(readlinkSync(`/proc/self/fd/${this.fd}`))
      return fn.call(this)
    }
  proto.sync = record(sync)
  proto.datasync = record(datasync)
  restore = () => {
    proto.sync = sync
    proto.datasync = datasync
  }
})
after(async () => {
  restore?.()
  await rm(root, { recursive: true, force: true })
})

const linux = process.platform === 'linux'

test('the message store fsyncs the parent of every directory it creates', { skip: !linux }, async () => {
  synced.length = 0
  const dir = join(root, 'a', 'b', 'queues')
  const store = await openSegmentStore(dir)
  for (const d of [root, join(root, 'a'), join(root, 'a', 'b')])
    assert.ok(synced.includes(d), `${d} not fsynced`)
  await store.close()
  // Opening it again creates nothing, so syncs nothing.
  synced.length = 0
  await (await openSegmentStore(dir)).close()
  assert.deepEqual(synced, [])
})

test('the definition store fsyncs the parent of a data directory it creates', { skip: !linux }, async () => {
  synced.length = 0
  await openDefinitionStore(join(root, 'data'))
  assert.ok(synced.includes(root), `${root} not fsynced`)
})

test('a queue directory is reachable before its first segment exists', { skip: !linux }, async () => {
  const dir = join(root, 'q')
  const store = await openSegmentStore(dir)
  synced.length = 0
  const q = await store.openQueue('/', 'orders')
  assert.ok(synced.includes(dir), 'the queues directory is fsynced after the queue directory is made')
  q.append({ exchange: '', routingKey: 'orders', properties: { deliveryMode: 2 }, body: Buffer.from('x') })
  await q.flush()
  await store.close()
})
