// The pieces of delivery counting and delayed retry on their own: the backoff formula, the count header,
// and the waiting heap under one timer (released in due order, ties in arrival order, on a manual clock).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Message, type QueueEntry } from '../../src/core/message.js'
import {
  deliveryCountOf,
  retryDelay,
  withDeliveryCount,
  withoutDeliveryCount,
} from '../../src/core/queue-types/classic/delivery-count.js'
import { Returns } from '../../src/core/queue-types/classic/returns.js'
import { type QueueSettings, resolveSettings } from '../../src/core/queue-types/queue-settings.js'
import { validatePolicy } from '../../src/core/policy.js'
import { ManualClock } from '../../src/shared/index.js'

test('retryDelay: linear, constant, exponential, capped by max and by a u32 of ms', () => {
  const at = (min: number, multiplier: number | undefined, max: number | undefined): number[] =>
    [1, 2, 3, 4].map((n) => retryDelay({ min, multiplier, max }, n))
  assert.deepEqual(at(100, undefined, undefined), [100, 200, 300, 400])
  assert.deepEqual(at(100, 1, undefined), [100, 100, 100, 100])
  assert.deepEqual(at(100, 3, 1000), [100, 300, 900, 1000])
  assert.equal(retryDelay({ min: 1000, multiplier: 10, max: undefined }, 40), 2 ** 32 - 1)
})

test('settings: the smallest of argument and policies wins; retries default the limit to 20', () => {
  const s = resolveSettings({ 'x-delayed-retry-min': 500 }, { 'delayed-retry-min': 200 })
  assert.deepEqual(s.retry, { min: 200, multiplier: undefined, max: undefined })
  assert.equal(s.deliveryLimit, 20)
  assert.equal(resolveSettings({ 'x-delivery-limit': 0 }, { 'delayed-retry-min': 5 }).deliveryLimit, 0)
  const plain = resolveSettings({ 'x-delayed-retry-multiplier': 2 })
  assert.equal(plain.retry, undefined, 'the multiplier alone enables nothing')
  assert.equal(plain.deliveryLimit, undefined)
})

test('a delivery-limit an older Warren stored unchecked does not stop a start, and is ignored', () => {
  const p = {
    vhost: '/',
    name: 'old',
    pattern: '.*',
    applyTo: 'queues' as const,
    priority: 0,
    definition: { 'delivery-limit': 'ten' },
  }
  assert.throws(() => validatePolicy(p, false), { message: '<<"ten">> is not a valid delivery limit' })
  validatePolicy(p, false, false)
  assert.equal(resolveSettings({}, p.definition).deliveryLimit, undefined)
  assert.equal(resolveSettings({}, { 'delivery-limit': -1 }).deliveryLimit, undefined)
})

test('the count header: set on a copy, read back, removed from a publisher', () => {
  const m = new Message('', 'q', { headers: { a: 1 } }, Buffer.from('x'))
  assert.equal(deliveryCountOf(m), 0)
  const counted = withDeliveryCount(m, 3)
  assert.equal(deliveryCountOf(counted), 3)
  assert.equal(deliveryCountOf(m), 0, 'the original, maybe in other queues, is untouched')
  assert.equal(withoutDeliveryCount(m), m, 'no copy without the header')
  assert.deepEqual(withoutDeliveryCount(counted).properties.headers, { a: 1 })
})

function harness(settings: QueueSettings): { returns: Returns; clock: ManualClock; released: string[] } {
  const clock = new ManualClock(0)
  const released: string[] = []
  const returns = new Returns({
    clock,
    settings: () => settings,
    durable: () => undefined,
    storesEveryMessage: false,
    backing: () => undefined,
    isDeleted: () => false,
    restore: () => assert.fail('a reject with retries waits'),
    retryDue: (e) => released.push(e.message.body.toString()),
    exceeded: () => undefined,
    storeFailed: (err) => assert.fail(String(err)),
  })
  return { returns, clock, released }
}

const entry = (body: string, count: number): QueueEntry => {
  const m = new Message('', 'q', {}, Buffer.from(body))
  return {
    message: count > 0 ? withDeliveryCount(m, count) : m,
    seq: 0,
    redelivered: true,
    expiresAt: Infinity,
    storeId: -1,
  }
}

test('waiting messages leave in due order, ties in arrival order, under one timer', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 60 }), (counts) => {
      // Linear 10 ms: a message returned for the (count+1)-th time waits 10 * (count+1) ms.
      const settings = resolveSettings({ 'x-delayed-retry-min': 10, 'x-delivery-limit': 100 })
      const { returns, clock, released } = harness(settings)
      const entries = counts.map((c, i) => entry(`${i}`, c))
      for (const e of entries) {
        returns.returned([e], true)
        clock.advance(1)
      }
      clock.advance(1000)
      assert.equal(returns.waiting, 0)
      const dueAt = (i: number): number => i + 10 * ((counts[i] as number) + 1)
      const expected = counts.map((_, i) => i).sort((a, b) => dueAt(a) - dueAt(b) || a - b)
      assert.deepEqual(released, expected.map(String))
    }),
  )
})
