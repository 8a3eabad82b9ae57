import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Message, type QueueEntry } from '../../src/core/message.js'
import { EntryRing } from '../../src/core/queue-types/classic/entry-ring.js'

const message = new Message('', 'k', {}, Buffer.alloc(0))
const entry = (seq: number): QueueEntry => ({
  message,
  seq,
  redelivered: seq % 3 === 0,
  expiresAt: seq % 2 === 0 ? Infinity : 1000 + seq,
  storeId: seq % 5 === 0 ? -1 : seq * 7,
})
const facts = (e: QueueEntry | undefined): unknown =>
  e && [e.message, e.seq, e.redelivered, e.expiresAt, e.storeId]

type Op =
  | { op: 'push'; n: number }
  | { op: 'shift'; n: number }
  | { op: 'restore'; pick: number }
  | { op: 'remove'; mod: number }
  | { op: 'clear' }

test('the ring holds what an ordered array of entries would, through growth, shrinking and requeues', () => {
  const ops = fc.oneof(
    {
      arbitrary: fc.record({ op: fc.constant('push' as const), n: fc.integer({ min: 1, max: 3000 }) }),
      weight: 4,
    },
    {
      arbitrary: fc.record({ op: fc.constant('shift' as const), n: fc.integer({ min: 1, max: 3000 }) }),
      weight: 4,
    },
    { arbitrary: fc.record({ op: fc.constant('restore' as const), pick: fc.nat() }), weight: 3 },
    {
      arbitrary: fc.record({ op: fc.constant('remove' as const), mod: fc.integer({ min: 2, max: 7 }) }),
      weight: 1,
    },
    { arbitrary: fc.record({ op: fc.constant('clear' as const) }), weight: 1 },
  )
  fc.assert(
    fc.property(fc.array(ops, { maxLength: 40 }), (script: Op[]) => {
      const ring = new EntryRing()
      let model: QueueEntry[] = []
      let taken: QueueEntry[] = []
      let seq = 0
      for (const step of script) {
        if (step.op === 'push') {
          for (let i = 0; i < step.n; i++) {
            const e = entry(seq++)
            ring.push(e)
            model.push(e)
          }
        } else if (step.op === 'shift') {
          for (let i = 0; i < step.n; i++) {
            const got = ring.shift()
            const want = model.shift()
            assert.deepEqual(facts(got), facts(want))
            if (got) taken.push(got)
          }
        } else if (step.op === 'restore') {
          if (taken.length === 0) continue
          const [e] = taken.splice(step.pick % taken.length, 1) as [QueueEntry]
          ring.restore(e)
          const at = model.findIndex((m) => m.seq > e.seq)
          model.splice(at === -1 ? model.length : at, 0, e)
        } else if (step.op === 'remove') {
          const drop = (e: QueueEntry): boolean => e.seq % step.mod === 0
          assert.deepEqual(ring.removeWhere(drop).map(facts), model.filter(drop).map(facts))
          model = model.filter((e) => !drop(e))
        } else {
          assert.deepEqual(ring.clear().map(facts), model.map(facts))
          model = []
          taken = []
        }
        assert.equal(ring.length, model.length)
        assert.equal(ring.headExpiresAt(), model[0]?.expiresAt ?? Infinity)
      }
      assert.deepEqual(ring.toArray().map(facts), model.map(facts))
    }),
    { numRuns: 150 },
  )
})
