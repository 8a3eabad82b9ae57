import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Message, type QueueEntry } from '../../src/core/message.js'
import { PriorityList } from '../../src/core/queue-types/classic/message-list.js'

const entry = (seq: number, priority: number): QueueEntry => ({
  message: new Message('', 'k', { priority }, Buffer.alloc(0)),
  seq,
  redelivered: false,
  expiresAt: Infinity,
  storeId: -1,
})

test('a priority queue purges and filters hundreds of thousands of entries, highest priority first', () => {
  const n = 300_000
  const list = new PriorityList(2)
  // Two thirds in one level: more entries than a spread call (`push(...level)`) can take.
  for (let i = 0; i < n; i++) list.push(entry(i, i % 3 === 0 ? 0 : 2))
  const removed = list.removeWhere((e) => e.seq % 10 === 0)
  assert.equal(removed.length, n / 10)
  assert.equal(list.length, n - n / 10)
  const all = list.clear()
  assert.equal(all.length, n - n / 10)
  assert.equal(list.length, 0)
  assert.equal(all[0]?.message.properties.priority, 2)
  assert.equal(all.at(-1)?.message.properties.priority, 0)
})
