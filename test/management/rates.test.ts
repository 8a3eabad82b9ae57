import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MessageStats } from '../../src/core/index.js'
import { messageSample, formatMessageStats, QUEUE_GROUPS } from '../../src/management/format/stats.js'
import { RateSampler } from '../../src/management/rates.js'
import { ManualClock } from '../../src/shared/index.js'

describe('message rates', () => {
  test('a rate is the change per second between two samples', () => {
    const clock = new ManualClock(1000)
    const stats = new MessageStats()
    const sampler = new RateSampler(clock, (s) => s.observe(stats, messageSample(stats)))
    sampler.tick()
    assert.deepEqual(sampler.ratesOf(stats), {})
    stats.publish += 50
    stats.deliver += 10
    clock.advance(5000)
    sampler.tick()
    assert.equal(sampler.ratesOf(stats)['publish'], 10)
    assert.equal(sampler.ratesOf(stats)['deliver'], 2)
    assert.equal(sampler.ratesOf(stats)['ack'], 0)
  })

  test('message_stats shows a group only once one of its counters is in use', () => {
    const stats = new MessageStats()
    assert.equal(formatMessageStats(messageSample(stats), {}, QUEUE_GROUPS), undefined)
    stats.publish = 3
    assert.deepEqual(formatMessageStats(messageSample(stats), { publish: 1.5 }, QUEUE_GROUPS), {
      publish: 3,
      publish_details: { rate: 1.5 },
    })
    stats.deliver = 1
    const shown = formatMessageStats(messageSample(stats), {}, QUEUE_GROUPS) as Record<string, unknown>
    assert.equal(shown['deliver_get'], 1)
    assert.equal(shown['ack'], 0)
  })

  test('counters are bumped where messages flow, not computed from queues', async () => {
    const { Broker } = await import('../../src/core/index.js')
    const { Message } = await import('../../src/core/index.js')
    const { silentLogger } = await import('../../src/shared/index.js')
    const broker = new Broker(new ManualClock(), silentLogger, { maxMessageSize: 1 << 20 })
    const v = broker.addVhost('/')
    const q = v.declareQueue(
      { name: 'q', passive: false, durable: false, exclusiveOwner: undefined, autoDelete: false, args: {} },
      1,
    )
    const ex = v.getExchange('')
    v.publish(ex, new Message('', 'q', {}, Buffer.from('abc')))
    v.publish(ex, new Message('', 'nowhere', {}, Buffer.from('abc')))
    assert.deepEqual(
      [v.stats.publish, ex.stats.publishIn, ex.stats.publishOut, q.stats.publish],
      [2, 2, 1, 1],
    )
    const e = q.get(false)?.entry
    assert.ok(e)
    assert.equal(q.unackedByteCount, 3)
    q.requeue([e])
    assert.equal(q.unackedByteCount, 0)
    const again = q.get(false)?.entry
    assert.ok(again)
    q.settle(again)
    assert.equal(q.get(true), undefined)
    assert.deepEqual([q.stats.get, q.stats.redeliver, q.stats.ack, q.stats.getEmpty], [2, 1, 1, 1])
    v.removeQueue(q)
    assert.equal(v.stats.get, 2, 'a deleted queue leaves its delivery counters with the vhost')
  })
})
