// Segment store appends: what a persistent publish costs the store (encode the record, buffer it, write it
// behind, fsync on flush), and acks (remove). "flush every N" is group commit: one fsync for N appends,
// the way confirms batch under load. Runs in a temporary directory on the machine's disk.
import { Buffer } from 'node:buffer'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSegmentStore } from '../../dist/src/store/index.js'
import { bench, section } from './harness.mjs'

const dir = await mkdtemp(join(tmpdir(), 'warren-store-bench-'))
try {
  const store = await openSegmentStore(dir, { autoFlushMs: 0 })
  for (const size of [16, 100, 1024, 16384]) {
    section(`segment store, ${size} B bodies`)
    const q = await store.openQueue('/', `bench-${size}`)
    const msg = {
      exchange: '',
      routingKey: 'bench',
      properties: { deliveryMode: 2 },
      body: Buffer.alloc(size, 7),
    }
    const ids = []
    await bench(
      `append, no flush (write-behind only)`,
      () => {
        for (let i = 0; i < 1000; i++) ids.push(q.append(msg))
      },
      { batch: 1000, unit: 'msg', bytesPerOp: size },
    )
    await q.flush()
    for (const every of [1000, 100]) {
      await bench(
        `append + flush (fsync) every ${every}`,
        async () => {
          for (let i = 0; i < every; i++) ids.push(q.append(msg))
          await q.flush()
        },
        { batch: every, unit: 'msg', bytesPerOp: size },
      )
    }
    let at = 0
    await bench(
      `remove (ack) + flush every 1000`,
      async () => {
        for (let i = 0; i < 1000 && at < ids.length; i++) q.remove(ids[at++])
        if (at >= ids.length) for (let i = 0; i < 1000; i++) ids.push(q.append(msg))
        await q.flush()
      },
      { batch: 1000, unit: 'msg' },
    )
    await q.destroy()
  }
  await store.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
