// The stream store's directory: a stream deleted by a broker that was killed before the deleted files
// were removed leaves a `.deleted-` directory, which the next start removes, leaving live streams alone.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { FileStreamStore } from '../../src/store/index.js'

test('a start removes what a killed broker left of deleted streams, and only that', async () => {
  const root = await mkdtemp(join(tmpdir(), 'warren-streams-'))
  try {
    const store = new FileStreamStore(root)
    const log = store.open('/', 'kept', {
      maxSegmentBytes: 1_000_000,
      retention: { maxBytes: undefined, maxAgeMs: undefined },
    })
    log.append({ exchange: '', routingKey: 'kept', properties: {}, body: Buffer.from('x') })
    await log.flush()
    await store.close()
    const live = await readdir(root)
    assert.equal(live.length, 1)
    const leftover = join(root, `${live[0] as string}x.deleted-1764950000000-1`)
    await mkdir(leftover)
    await writeFile(join(leftover, '00000000000000000000.segment'), 'torn')
    new FileStreamStore(root)
    assert.deepEqual(await readdir(root), live)
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})
