// x-modulus-hash (RabbitMQ's rabbitmq_sharding plugin) and x-random (rabbitmq_random_exchange, as in
// LavinMQ): one destination per message, every binding counted (a queue bound twice is picked twice as
// often), nothing for an exchange without bindings. Runs against Warren, or against the reference
// RabbitMQ with WARREN_TEST_URL (the plugins enabled there).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { counts, exclusiveQueues, keys, placement, publishAll, tally } from '../helpers/placement.js'
import { type amqp, confirmChannel, connect, uniqueName, useTarget } from '../helpers/target.js'

const t = useTarget()

async function exchangeOf(
  type: string,
  args: Record<string, unknown> = {},
): Promise<{ ch: amqp.ConfirmChannel; ex: string; done(): Promise<void> }> {
  const conn = await connect(t)
  const ch = await confirmChannel(conn)
  const ex = uniqueName(type)
  await ch.assertExchange(ex, type, { autoDelete: false, arguments: args })
  return {
    ch,
    ex,
    async done() {
      await ch.deleteExchange(ex)
      await conn.close()
    },
  }
}

/** Share `n` of `total` is within `tolerance` of `expected` (a fraction). */
/**
 * A share near what is expected: within 0.06, or five standard deviations of a binomial draw when that is
 * wider (x-random is random: a four-sigma share was seen once in a full run, 356 of 900 for 1/3).
 */
function near(n: number, total: number, expected: number, tolerance = 0.06): void {
  const spread = Math.max(tolerance, 5 * Math.sqrt((expected * (1 - expected)) / total))
  assert.ok(Math.abs(n / total - expected) < spread, `${n} of ${total}, about ${expected} expected`)
}

for (const type of ['x-modulus-hash', 'x-random']) {
  describe(type, () => {
    test('binding keys and arguments are free; each message goes to exactly one queue', async () => {
      // Exchange arguments mean nothing to these types, and nothing is checked.
      const f = await exchangeOf(type, { 'hash-header': 'ignored', 'hash-property': 'nonsense' })
      const qs = await exclusiveQueues(f.ch, 3)
      await f.ch.bindQueue(qs[0] as string, f.ex, 'any key')
      await f.ch.bindQueue(qs[1] as string, f.ex, '', { 'x-match': 'nonsense' })
      await f.ch.bindQueue(qs[2] as string, f.ex, '0')
      const where = await placement(f.ch, f.ex, qs, keys('k', 900))
      for (const n of tally(where, qs)) near(n, 900, 1 / 3)
      await f.done()
    })

    test('every binding counts: a queue bound twice is picked twice as often', async () => {
      const f = await exchangeOf(type)
      const [twice, once] = (await exclusiveQueues(f.ch, 2)) as [string, string]
      await f.ch.bindQueue(twice, f.ex, 'a')
      await f.ch.bindQueue(twice, f.ex, 'b')
      await f.ch.bindQueue(once, f.ex, 'a')
      await publishAll(f.ch, f.ex, keys('d', 1500))
      const [n2 = 0, n1 = 0] = await counts(f.ch, [twice, once])
      assert.equal(n1 + n2, 1500)
      near(n2, 1500, 2 / 3)
      await f.done()
    })

    test('without bindings a mandatory message is returned; one binding takes everything', async () => {
      const f = await exchangeOf(type)
      assert.equal(
        await publishAll(f.ch, f.ex, [{ id: 'x', routingKey: 'x', options: { mandatory: true } }]),
        1,
      )
      const [q] = (await exclusiveQueues(f.ch, 1)) as [string]
      await f.ch.bindQueue(q, f.ex, 'only')
      assert.equal((await placement(f.ch, f.ex, [q], keys('o', 50))).size, 50)
      await f.done()
    })

    test('CC keys add no copies; a destination exchange takes a share', async () => {
      const f = await exchangeOf(type)
      const fan = uniqueName('fan')
      await f.ch.assertExchange(fan, 'fanout', { autoDelete: false })
      const qs = await exclusiveQueues(f.ch, 2)
      await f.ch.bindQueue(qs[0] as string, f.ex, 'q')
      await f.ch.bindExchange(fan, f.ex, 'e')
      await f.ch.bindQueue(qs[1] as string, fan, '')
      const items = keys('cc', 600).map((it) => ({ ...it, options: { CC: [`${it.id}-a`, `${it.id}-b`] } }))
      const n = tally(await placement(f.ch, f.ex, qs, items), qs)
      near(n[1] ?? 0, 600, 1 / 2, 0.1)
      await f.ch.deleteExchange(fan)
      await f.done()
    })
  })
}

test('x-modulus-hash sends a routing key always to the same queue; x-random spreads it', async () => {
  const same = Array.from({ length: 120 }, (_, i) => ({ id: `s${i}`, routingKey: 'one key' }))
  for (const [type, queuesReached] of [
    ['x-modulus-hash', 1],
    ['x-random', 3],
  ] as const) {
    const f = await exchangeOf(type)
    const qs = await exclusiveQueues(f.ch, 3)
    for (const q of qs) await f.ch.bindQueue(q, f.ex, '')
    const n = tally(await placement(f.ch, f.ex, qs, same), qs)
    assert.equal(n.filter((x) => x > 0).length, queuesReached, `${type}: ${n.join(', ')}`)
    await f.done()
  }
})
