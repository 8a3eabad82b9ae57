// x-consistent-hash as RabbitMQ's rabbitmq_consistent_hash_exchange plugin (3.10) defines it: binding
// keys are weights, one queue per message picked by the hash of the routing key, a header (hash-header)
// or a property (hash-property), placement that stays put when a queue is bound. Runs against Warren, or
// against the reference RabbitMQ with WARREN_TEST_URL (the plugin enabled there). Which queue a key lands
// on differs (RabbitMQ hashes with erlang:phash2); the rules checked here do not.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { counts, exclusiveQueues, keys, placement, publishAll, tally } from '../helpers/placement.js'
import {
  type amqp,
  channel,
  confirmChannel,
  connect,
  rejection,
  uniqueName,
  useTarget,
} from '../helpers/target.js'

const t = useTarget()

interface Fixture {
  conn: amqp.ChannelModel
  ch: amqp.ConfirmChannel
  ex: string
  done(): Promise<void>
}

async function hashExchange(args: Record<string, unknown> = {}): Promise<Fixture> {
  const conn = await connect(t)
  const ch = await confirmChannel(conn)
  const ex = uniqueName('chx')
  await ch.assertExchange(ex, 'x-consistent-hash', { autoDelete: false, arguments: args })
  return {
    conn,
    ch,
    ex,
    async done() {
      await ch.deleteExchange(ex)
      await conn.close()
    },
  }
}

async function declareError(args: Record<string, unknown>): Promise<{ code: number; text: string }> {
  const conn = await connect(t)
  const ch = await confirmChannel(conn)
  const err = await rejection(() =>
    ch.assertExchange(uniqueName('chx-bad'), 'x-consistent-hash', { arguments: args }),
  )
  await conn.close().catch(() => {})
  return err
}

describe('x-consistent-hash: exchange arguments', () => {
  test('hash-header and hash-property together, or an unknown property, are refused with 406', async () => {
    assert.deepEqual(await declareError({ 'hash-header': 'h', 'hash-property': 'message_id' }), {
      code: 406,
      text: 'PRECONDITION_FAILED - hash-header and hash-property are mutually exclusive',
    })
    assert.deepEqual(await declareError({ 'hash-property': 'app_id' }), {
      code: 406,
      text: 'PRECONDITION_FAILED - Unsupported property: app_id',
    })
    assert.deepEqual(await declareError({ 'hash-property': '' }), {
      code: 406,
      text: 'PRECONDITION_FAILED - Unsupported property: ',
    })
  })

  test('a hash-header that is not a string is refused with 406 (RabbitMQ 3.10 crashes: 541)', async (ctx) => {
    if (t.external) return ctx.skip('RabbitMQ 3.10.8 closes the connection with 541 INTERNAL_ERROR')
    const err = await declareError({ 'hash-header': 5 })
    assert.equal(err.code, 406)
    assert.match(err.text, /^PRECONDITION_FAILED - invalid type '.+' for arg 'hash-header' in exchange /)
  })

  test('a redeclare with other hash arguments is accepted: only alternate-exchange is compared', async () => {
    const f = await hashExchange({ 'hash-header': 'h' })
    await f.ch.assertExchange(f.ex, 'x-consistent-hash', {
      autoDelete: false,
      arguments: { 'hash-header': 'h', 'hash-property': 'nonsense' },
    })
    await f.done()
  })
})

describe('x-consistent-hash: binding keys are weights', () => {
  test("a key that is not an integer above 0 is refused with RabbitMQ's 406 texts", async () => {
    const f = await hashExchange()
    const [q] = await exclusiveQueues(f.ch, 1)
    const notInteger = (shown: string): string =>
      `PRECONDITION_FAILED - The binding key must be an integer: ${shown}`
    const cases: Array<[string, string]> = [
      ['abc', notInteger('<<"abc">>')],
      ['', notInteger('<<>>')],
      [' 3', notInteger('<<" 3">>')],
      ['3.0', notInteger('<<"3.0">>')],
      ['1e3', notInteger('<<"1e3">>')],
      ['a"b', notInteger('<<"a\\"b">>')],
      ['\u0001z', notInteger('<<1,122>>')],
      ['é', notInteger('<<"é">>')],
      ['0', 'PRECONDITION_FAILED - The binding key must be greater than 0'],
      ['-1', 'PRECONDITION_FAILED - The binding key must be greater than 0'],
    ]
    for (const [key, text] of cases) {
      const ch = await channel(f.conn)
      assert.deepEqual(await rejection(() => ch.bindQueue(q as string, f.ex, key)), { code: 406, text }, key)
    }
    for (const key of ['+3', '007', '1']) await f.ch.bindQueue(q as string, f.ex, key)
    await f.ch.unbindQueue(q as string, f.ex, 'not-a-weight') // unbinding checks nothing
    await f.done()
  })

  test('an exchange-to-exchange binding takes a weight too', async () => {
    const f = await hashExchange()
    const dest = uniqueName('chx-dest')
    await f.ch.assertExchange(dest, 'fanout', { autoDelete: false })
    const ch = await channel(f.conn)
    assert.deepEqual(await rejection(() => ch.bindExchange(dest, f.ex, 'x')), {
      code: 406,
      text: 'PRECONDITION_FAILED - The binding key must be an integer: <<"x">>',
    })
    await f.ch.bindExchange(dest, f.ex, '2')
    await f.ch.deleteExchange(dest)
    await f.done()
  })
})

describe('x-consistent-hash: routing', () => {
  test('each message goes to exactly one queue, a routing key always to the same one', async () => {
    const f = await hashExchange()
    const qs = await exclusiveQueues(f.ch, 3)
    for (const q of qs) await f.ch.bindQueue(q, f.ex, '1')
    const first = await placement(f.ch, f.ex, qs, keys('k', 600))
    const again = await placement(f.ch, f.ex, qs, keys('k', 600))
    assert.deepEqual(again, first)
    for (const n of tally(first, qs)) assert.ok(n > 120 && n < 280, `share ${n} of 600`)
    await f.done()
  })

  test('weights: a queue bound with "3" gets about three times what a queue bound with "1" gets', async () => {
    const f = await hashExchange()
    const [light, heavy] = (await exclusiveQueues(f.ch, 2)) as [string, string]
    await f.ch.bindQueue(light, f.ex, '1')
    await f.ch.bindQueue(heavy, f.ex, '3')
    await publishAll(f.ch, f.ex, keys('w', 2000))
    const [l = 0, h = 0] = await counts(f.ch, [light, heavy])
    assert.equal(l + h, 2000)
    assert.ok(l > 400 && l < 600, `light queue got ${l} of 2000`)
    await f.done()
  })

  test('binding one more queue moves only the keys it takes over, about 1/n of them', async () => {
    const f = await hashExchange()
    const qs = await exclusiveQueues(f.ch, 4)
    for (const q of qs.slice(0, 3)) await f.ch.bindQueue(q, f.ex, '1')
    const before = await placement(f.ch, f.ex, qs, keys('s', 1200))
    await f.ch.bindQueue(qs[3] as string, f.ex, '1')
    const after = await placement(f.ch, f.ex, qs, keys('s', 1200))
    const moved = [...after].filter(([id, q]) => before.get(id) !== q)
    assert.ok(
      moved.every(([, q]) => q === qs[3]),
      'a key that moved went to the new queue',
    )
    assert.ok(moved.length > 200 && moved.length < 400, `${moved.length} of 1200 keys moved`)
    // Unbinding the newest queue gives its keys back to where they were.
    await f.ch.unbindQueue(qs[3] as string, f.ex, '1')
    assert.deepEqual(await placement(f.ch, f.ex, qs, keys('s', 1200)), before)
    await f.done()
  })

  test('without bindings a mandatory message is returned; CC keys add no copies', async () => {
    const f = await hashExchange()
    assert.equal(
      await publishAll(f.ch, f.ex, [{ id: 'x', routingKey: 'x', options: { mandatory: true } }]),
      1,
    )
    const qs = await exclusiveQueues(f.ch, 2)
    for (const q of qs) await f.ch.bindQueue(q, f.ex, '1')
    const items = keys('cc', 200).map((it) => ({ ...it, options: { CC: [`${it.id}-a`, `${it.id}-b`] } }))
    const where = await placement(f.ch, f.ex, qs, items)
    assert.equal(where.size, 200)
    await f.done()
  })

  test('a destination exchange takes its share, like a queue', async () => {
    const f = await hashExchange()
    const dest = uniqueName('chx-fan')
    await f.ch.assertExchange(dest, 'fanout', { autoDelete: false })
    const qs = await exclusiveQueues(f.ch, 2)
    await f.ch.bindQueue(qs[0] as string, f.ex, '1')
    await f.ch.bindExchange(dest, f.ex, '1')
    await f.ch.bindQueue(qs[1] as string, dest, '')
    const n = tally(await placement(f.ch, f.ex, qs, keys('e', 400)), qs)
    assert.ok((n[1] ?? 0) > 120 && (n[1] ?? 0) < 280, `through the exchange: ${n[1]} of 400`)
    await f.ch.deleteExchange(dest)
    await f.done()
  })

  test('a queue bound twice keeps its first weight; removing either binding takes it off', async () => {
    const f = await hashExchange()
    const [a, b] = (await exclusiveQueues(f.ch, 2)) as [string, string]
    await f.ch.bindQueue(a, f.ex, '1')
    await f.ch.bindQueue(b, f.ex, '1')
    const before = await placement(f.ch, f.ex, [a, b], keys('d', 400))
    await f.ch.bindQueue(a, f.ex, '5') // ignored by the ring, as in the plugin
    assert.deepEqual(await placement(f.ch, f.ex, [a, b], keys('d', 400)), before)
    await f.ch.unbindQueue(a, f.ex, '5') // takes `a` off the ring, though its "1" binding remains
    assert.deepEqual(tally(await placement(f.ch, f.ex, [a, b], keys('d', 400)), [a, b]), [0, 400])
    await f.done()
  })
})

describe('x-consistent-hash: hash-header and hash-property', () => {
  /** Items with one routing key and, as their hash input, the header or properties `options(i)` gives. */
  const items = (n: number, options: (i: number) => amqp.Options.Publish): ReturnType<typeof keys> =>
    Array.from({ length: n }, (_, i) => ({ id: `m${i}`, routingKey: 'same', options: options(i) }))

  test('hash-header: the header decides; messages without it all go to one queue', async () => {
    const f = await hashExchange({ 'hash-header': 'shard' })
    const qs = await exclusiveQueues(f.ch, 3)
    for (const q of qs) await f.ch.bindQueue(q, f.ex, '1')
    const spread = tally(
      await placement(
        f.ch,
        f.ex,
        qs,
        items(300, (i) => ({ headers: { shard: `v${i}` } })),
      ),
      qs,
    )
    for (const n of spread) assert.ok(n > 50 && n < 150, `share ${n} of 300`)
    const sameValue = items(60, () => ({ headers: { shard: 'one', other: Math.random() } }))
    assert.equal(tally(await placement(f.ch, f.ex, qs, sameValue), qs).filter((n) => n > 0).length, 1)
    const numbers = tally(
      await placement(
        f.ch,
        f.ex,
        qs,
        items(300, (i) => ({ headers: { shard: i } })),
      ),
      qs,
    )
    assert.ok(
      numbers.every((n) => n > 0),
      'numeric header values spread too',
    )
    const without = keys('no-header', 60).map((it) => ({ ...it, options: { headers: { other: it.id } } }))
    assert.equal(tally(await placement(f.ch, f.ex, qs, without), qs).filter((n) => n > 0).length, 1)
    const voids = items(20, () => ({ headers: { shard: null } }))
    assert.equal(tally(await placement(f.ch, f.ex, qs, voids), qs).filter((n) => n > 0).length, 1)
    await f.done()
  })

  test('hash-property message_id, correlation_id and timestamp; without the property, one queue', async () => {
    const cases: Array<[string, (i: number) => amqp.Options.Publish]> = [
      ['message_id', (i) => ({ messageId: `id-${i}` })],
      ['correlation_id', (i) => ({ correlationId: `c-${i}` })],
      ['timestamp', (i) => ({ timestamp: 1_700_000_000 + i })],
    ]
    for (const [property, options] of cases) {
      const f = await hashExchange({ 'hash-property': property })
      const qs = await exclusiveQueues(f.ch, 2)
      for (const q of qs) await f.ch.bindQueue(q, f.ex, '1')
      const first = await placement(f.ch, f.ex, qs, items(200, options))
      for (const n of tally(first, qs)) assert.ok(n > 60 && n < 140, `${property}: share ${n} of 200`)
      assert.deepEqual(await placement(f.ch, f.ex, qs, items(200, options)), first, property)
      const without = keys('no-prop', 40)
      assert.equal(tally(await placement(f.ch, f.ex, qs, without), qs).filter((n) => n > 0).length, 1)
      await f.done()
    }
  })
})
