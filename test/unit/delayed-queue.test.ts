// The delayed exchange's held-message queue (src/core/exchange/delayed/): slots in typed arrays, a heap
// of them, and the run taken ahead for read-back. A random model check: whatever is pushed, cancelled,
// taken ahead and popped, messages leave in (due, arrival) order, listings show the next ones in that
// order, and freed slots reused by new messages are never mistaken for the old ones.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DueQueue } from '../../src/core/exchange/delayed/due-queue.js'
import { NOT_STORED } from '../../src/core/exchange/delayed/held-table.js'

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

test('pops in (due, arrival) order through pushes, cancels and read-ahead runs', () => {
  for (const seed of [1, 2, 3, 42, 99]) {
    const random = rng(seed)
    const q = new DueQueue()
    const t = q.table
    const model = new Map<number, { due: number; seq: number }>() // by seq
    let seq = 0
    let now = 0
    const popped: Array<{ due: number; seq: number }> = []
    for (let step = 0; step < 5000; step++) {
      const r = random()
      if (r < 0.5) {
        const due = now + Math.floor(random() * 200)
        const slot = t.add(due, seq, NOT_STORED, undefined, undefined, 0)
        q.push(slot)
        model.set(seq++, { due, seq: seq - 1 })
      } else if (r < 0.6 && model.size > 0) {
        const victim = [...model.keys()][Math.floor(random() * model.size)] as number
        const slot = q.slots().find((s) => t.seq[s] === victim) as number
        assert.ok(q.delete(slot))
        t.remove(slot)
        model.delete(victim)
      } else if (r < 0.7) {
        q.takeAhead(now + 50, 20, Infinity)
      } else {
        now += Math.floor(random() * 20)
        for (let slot = q.peek(); slot !== undefined && (t.due[slot] as number) <= now; slot = q.peek()) {
          q.pop()
          const s = t.seq[slot] as number
          popped.push({ due: t.due[slot] as number, seq: s })
          assert.ok(model.delete(s), `popped ${s}, which was not held`)
          t.remove(slot)
        }
      }
      assert.equal(q.size, model.size)
      const expected = [...model.values()].sort((a, b) => a.due - b.due || a.seq - b.seq).slice(0, 10)
      assert.deepEqual(
        q.earliest(10).map((s) => t.seq[s]),
        expected.map((e) => e.seq),
      )
    }
    for (let i = 1; i < popped.length; i++) {
      const [a, b] = [popped[i - 1], popped[i]] as [
        { due: number; seq: number },
        { due: number; seq: number },
      ]
      assert.ok(a.due <= b.due, `seed ${seed}: ${a.due} left after ${b.due}`)
    }
  }
})

test("a freed slot reused by a new message does not take the old one's late read-back", () => {
  const q = new DueQueue()
  const t = q.table
  const slot = t.add(10, 1, 7, undefined, undefined, 0)
  q.push(slot)
  assert.deepEqual(q.takeAhead(100, 10, Infinity), [slot])
  assert.equal(q.pop(), slot)
  t.remove(slot)
  const reused = t.add(20, 2, 8, undefined, undefined, 0)
  assert.equal(reused, slot)
  q.push(reused)
  q.loaded(slot, 1, undefined)
  q.loaded(slot, 1, { body: Buffer.from('old') } as never)
  assert.equal(t.message(reused), undefined)
})
