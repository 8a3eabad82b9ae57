// Model-based test: random runs of appends, removals, delivered-marks, reads, flushes and restarts on a
// segment store with tiny segments (so rolling and reclamation happen all the time), checked against a
// plain Map after every restart.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { openSegmentStore, type SegmentQueueStore } from '../../src/store/index.js'

type Op =
  | { t: 'append'; size: number }
  | { t: 'remove' | 'deliver' | 'read'; pick: number }
  | { t: 'flush' | 'restart' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('append' as const), size: fc.nat(300) }) },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constantFrom('remove' as const, 'deliver' as const), pick: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('read' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('flush' as const, 'restart' as const) }) },
)

interface Model {
  live: Map<number, { size: number; fill: number; delivered: boolean }>
  /** Every new id must be above this: the highest id appended in this run of the store, or recovered. */
  lastId: number
  appends: number
}

async function check(q: SegmentQueueStore, model: Model): Promise<void> {
  const got: Array<[number, boolean, Buffer]> = []
  await q.recover((m) => got.push([m.id, m.delivered, m.body]))
  const want = [...model.live].map(([id, e]) => [id, e.delivered, Buffer.alloc(e.size, e.fill)])
  assert.deepEqual(got, want)
  const bytes = [...model.live.values()].reduce((n, e) => n + e.size, 0)
  assert.deepEqual(q.stats(), { messages: model.live.size, bytes })
}

async function apply(q: SegmentQueueStore, o: Op, model: Model): Promise<void> {
  const ids = [...model.live.keys()]
  const picked = 'pick' in o ? ids[o.pick % Math.max(1, ids.length)] : undefined
  if (o.t === 'append') {
    const fill = model.appends++ & 0xff
    const id = q.append({ exchange: 'x', routingKey: 'k', properties: {}, body: Buffer.alloc(o.size, fill) })
    assert.ok(id > model.lastId, `id ${id} after ${model.lastId}`)
    model.lastId = id
    model.live.set(id, { size: o.size, fill, delivered: false })
  } else if (o.t === 'remove' && picked !== undefined) {
    q.remove(picked)
    model.live.delete(picked)
  } else if (o.t === 'deliver' && picked !== undefined) {
    q.markDelivered(picked)
    const e = model.live.get(picked)
    if (e) e.delivered = true
  } else if (o.t === 'read' && picked !== undefined) {
    const e = model.live.get(picked)
    assert.deepEqual((await q.read(picked)).body, e && Buffer.alloc(e.size, e.fill))
  } else if (o.t === 'flush') {
    await q.flush()
  }
}

test('segment store matches a Map model across random operations and restarts', async () => {
  const root = await mkdtemp(join(tmpdir(), 'warren-model-'))
  let run = 0
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 200 }), async (ops) => {
        const dir = join(root, String(run++))
        let store = await openSegmentStore(dir, { segmentSize: 1024 })
        let q = await store.openQueue('/', 'q')
        const model: Model = { live: new Map(), lastId: 0, appends: 0 }
        try {
          for (const o of ops) {
            if (o.t !== 'restart') {
              await apply(q, o, model)
              continue
            }
            await store.close()
            store = await openSegmentStore(dir, { segmentSize: 1024 })
            q = await store.openQueue('/', 'q')
            await check(q, model)
            // Ids only have to exceed the stored ones: with nothing stored they may start over.
            model.lastId = Math.max(0, ...model.live.keys())
          }
          await check(q, model)
        } finally {
          await store.close()
        }
      }),
      { numRuns: 100 },
    )
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})
