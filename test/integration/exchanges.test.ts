// Routing through exchanges as RabbitMQ does it: exchange-to-exchange bindings (loops included),
// alternate exchanges, auto-delete exchanges, the headers exchange's match modes, topic patterns.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type amqp,
  channel,
  connect,
  drain,
  getOne,
  rejection,
  sync,
  uniqueName,
  useTarget,
} from '../helpers/target.js'

const t = useTarget()

async function exclusiveQueue(ch: amqp.Channel): Promise<string> {
  return (await ch.assertQueue('', { exclusive: true })).queue
}

describe('exchange-to-exchange bindings', () => {
  test('a chain of exchanges delivers to the queue at its end, with the original exchange and key', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const [a, b, c] = [uniqueName('e2e-a'), uniqueName('e2e-b'), uniqueName('e2e-c')]
    await ch.assertExchange(a, 'topic', { autoDelete: false })
    await ch.assertExchange(b, 'direct', { autoDelete: false })
    await ch.assertExchange(c, 'fanout', { autoDelete: false })
    await ch.bindExchange(b, a, 'x.*')
    await ch.bindExchange(c, b, 'x.y')
    const q = await exclusiveQueue(ch)
    await ch.bindQueue(q, c, '')
    ch.publish(a, 'x.y', Buffer.from('through'))
    ch.publish(a, 'x.z', Buffer.from('stops-at-b'))
    ch.publish(a, 'y.y', Buffer.from('stops-at-a'))
    const m = await getOne(ch, q, true)
    assert.equal(m.content.toString(), 'through')
    assert.equal(m.fields.exchange, a)
    assert.equal(m.fields.routingKey, 'x.y')
    await sync(ch)
    assert.deepEqual(await drain(ch, q), [])
    for (const e of [a, b, c]) await ch.deleteExchange(e)
    await conn.close()
  })

  test('a binding loop neither duplicates nor hangs; a queue reached twice gets one copy', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const [a, b] = [uniqueName('loop-a'), uniqueName('loop-b')]
    await ch.assertExchange(a, 'fanout', { autoDelete: false })
    await ch.assertExchange(b, 'fanout', { autoDelete: false })
    await ch.bindExchange(b, a, '')
    await ch.bindExchange(a, b, '')
    await ch.bindExchange(a, a, '')
    const q = await exclusiveQueue(ch)
    await ch.bindQueue(q, a, '')
    await ch.bindQueue(q, b, '')
    ch.publish(a, '', Buffer.from('1'))
    ch.publish(b, '', Buffer.from('2'))
    await getOne(ch, q, false)
    await sync(ch)
    const { messageCount } = await ch.checkQueue(q)
    assert.equal(messageCount, 1, 'one more copy, not more')
    for (const e of [a, b]) await ch.deleteExchange(e)
    await conn.close()
  })

  test('CC keys route through exchange-to-exchange bindings as well', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const [a, b] = [uniqueName('e2e-cc-a'), uniqueName('e2e-cc-b')]
    await ch.assertExchange(a, 'direct', { autoDelete: false })
    await ch.assertExchange(b, 'direct', { autoDelete: false })
    await ch.bindExchange(b, a, 'k2')
    const q = await exclusiveQueue(ch)
    await ch.bindQueue(q, b, 'k2')
    ch.publish(a, 'k1', Buffer.from('cc'), { CC: ['k2'] })
    ch.publish(a, 'k1', Buffer.from('bcc'), { BCC: ['k2'] })
    await sync(ch)
    assert.deepEqual(await drain(ch, q), ['cc', 'bcc'])
    for (const e of [a, b]) await ch.deleteExchange(e)
    await conn.close()
  })

  test('unbinding exchanges stops the flow; binding to a missing exchange is 404', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const [a, b] = [uniqueName('unb-a'), uniqueName('unb-b')]
    await ch.assertExchange(a, 'direct', { autoDelete: false })
    await ch.assertExchange(b, 'direct', { autoDelete: false })
    await ch.bindExchange(b, a, 'k')
    const q = await exclusiveQueue(ch)
    await ch.bindQueue(q, b, 'k')
    await ch.unbindExchange(b, a, 'k')
    ch.publish(a, 'k', Buffer.from('x'))
    await sync(ch)
    assert.equal((await ch.checkQueue(q)).messageCount, 0)
    const missing = uniqueName('missing')
    assert.deepEqual(await rejection(() => ch.bindExchange(b, missing, 'k')), {
      code: 404,
      text: `NOT_FOUND - no exchange '${missing}' in vhost '/'`,
    })
    const ch2 = await channel(conn)
    for (const e of [a, b]) await ch2.deleteExchange(e)
    await conn.close()
  })
})

describe('alternate exchanges', () => {
  test('unroutable messages go to the alternate exchange, and are not returned as mandatory', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const [main, ae] = [uniqueName('ae-main'), uniqueName('ae')]
    await ch.assertExchange(ae, 'fanout', { autoDelete: false })
    await ch.assertExchange(main, 'direct', { autoDelete: false, alternateExchange: ae })
    const routed = await exclusiveQueue(ch)
    const caught = await exclusiveQueue(ch)
    await ch.bindQueue(routed, main, 'known')
    await ch.bindQueue(caught, ae, '')
    let returns = 0
    ch.on('return', () => returns++)
    ch.publish(main, 'known', Buffer.from('routed'))
    ch.publish(main, 'unknown', Buffer.from('caught'), { mandatory: true })
    const m = await getOne(ch, caught, true)
    assert.equal(m.content.toString(), 'caught')
    assert.equal(m.fields.exchange, main)
    assert.equal(m.fields.routingKey, 'unknown')
    assert.deepEqual(await drain(ch, routed), ['routed'])
    await sync(ch)
    assert.equal(returns, 0)
    for (const e of [main, ae]) await ch.deleteExchange(e)
    await conn.close()
  })

  test("chained: the alternate exchange's own alternate exchange catches what it cannot route", async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const [main, ae1, ae2] = [uniqueName('ch-main'), uniqueName('ch-ae1'), uniqueName('ch-ae2')]
    await ch.assertExchange(ae2, 'fanout', { autoDelete: false })
    await ch.assertExchange(ae1, 'direct', { autoDelete: false, alternateExchange: ae2 })
    await ch.assertExchange(main, 'direct', { autoDelete: false, alternateExchange: ae1 })
    const viaAe1 = await exclusiveQueue(ch)
    const viaAe2 = await exclusiveQueue(ch)
    await ch.bindQueue(viaAe1, ae1, 'k1')
    await ch.bindQueue(viaAe2, ae2, '')
    ch.publish(main, 'k1', Buffer.from('to-ae1'))
    ch.publish(main, 'k2', Buffer.from('to-ae2'))
    await sync(ch)
    assert.deepEqual(await drain(ch, viaAe1), ['to-ae1'])
    assert.deepEqual(await drain(ch, viaAe2), ['to-ae2'])
    for (const e of [main, ae1, ae2]) await ch.deleteExchange(e)
    await conn.close()
  })

  test('a missing alternate exchange: unroutable and returned when mandatory', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const main = uniqueName('ae-missing')
    await ch.assertExchange(main, 'direct', { autoDelete: false, alternateExchange: uniqueName('nope') })
    const returned = new Promise<{ fields: { replyCode: number } }>((r) => ch.once('return', r))
    ch.publish(main, 'k', Buffer.from('x'), { mandatory: true })
    assert.equal((await returned).fields.replyCode, 312)
    await ch.deleteExchange(main)
    await conn.close()
  })
})

describe('auto-delete exchanges', () => {
  test('removed when its last binding goes, not before; never-bound ones stay', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const ex = uniqueName('autodel')
    const never = uniqueName('autodel-never')
    await ch.assertExchange(ex, 'direct', { autoDelete: true })
    await ch.assertExchange(never, 'direct', { autoDelete: true })
    const q = await exclusiveQueue(ch)
    await ch.bindQueue(q, ex, 'a')
    await ch.bindQueue(q, ex, 'b')
    await ch.unbindQueue(q, ex, 'a')
    await ch.checkExchange(ex)
    await ch.unbindQueue(q, ex, 'b')
    assert.deepEqual(await rejection(() => ch.checkExchange(ex)), {
      code: 404,
      text: `NOT_FOUND - no exchange '${ex}' in vhost '/'`,
    })
    const ch2 = await channel(conn)
    await ch2.checkExchange(never)
    await ch2.deleteExchange(never)
    await conn.close()
  })

  test('an auto-delete source exchange goes when its last exchange binding is removed', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const [src, dst] = [uniqueName('ad-src'), uniqueName('ad-dst')]
    await ch.assertExchange(src, 'fanout', { autoDelete: true })
    await ch.assertExchange(dst, 'fanout', { autoDelete: false })
    await ch.bindExchange(dst, src, '')
    await ch.unbindExchange(dst, src, '')
    assert.equal((await rejection(() => ch.checkExchange(src))).code, 404)
    const ch2 = await channel(conn)
    await ch2.deleteExchange(dst)
    await conn.close()
  })

  test('deleting the only bound queue removes the auto-delete exchange', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const ex = uniqueName('ad-q')
    await ch.assertExchange(ex, 'fanout', { autoDelete: true })
    const q = await exclusiveQueue(ch)
    await ch.bindQueue(q, ex, '')
    await ch.deleteQueue(q)
    assert.equal((await rejection(() => ch.checkExchange(ex))).code, 404)
    await conn.close()
  })
})

describe('headers exchange', () => {
  const cases: Array<{ match: string; headers: Record<string, unknown>; expect: boolean }> = [
    // binding: { x-match, a: 1, b: 'two', x-extra: 'x' }
    { match: 'all', headers: { a: 1, b: 'two' }, expect: true },
    { match: 'all', headers: { a: 1, b: 'two', c: 3 }, expect: true },
    { match: 'all', headers: { a: 1 }, expect: false },
    { match: 'all', headers: { a: 1, b: 'other' }, expect: false },
    { match: 'all', headers: { a: 1, b: 'two', 'x-extra': 'no' }, expect: true },
    { match: 'any', headers: { a: 1 }, expect: true },
    { match: 'any', headers: { b: 'two', a: 9 }, expect: true },
    { match: 'any', headers: { a: 2 }, expect: false },
    { match: 'any', headers: { 'x-extra': 'x' }, expect: false },
    { match: 'all-with-x', headers: { a: 1, b: 'two' }, expect: false },
    { match: 'all-with-x', headers: { a: 1, b: 'two', 'x-extra': 'x' }, expect: true },
    { match: 'any-with-x', headers: { 'x-extra': 'x' }, expect: true },
    { match: 'any-with-x', headers: { 'x-extra': 'y' }, expect: false },
    { match: 'any-with-x', headers: { b: 'two' }, expect: true },
  ]

  test('x-match all / any / all-with-x / any-with-x', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const ex = uniqueName('hdr')
    await ch.assertExchange(ex, 'headers', { autoDelete: false })
    const queues: Record<string, string> = {}
    for (const match of ['all', 'any', 'all-with-x', 'any-with-x']) {
      queues[match] = await exclusiveQueue(ch)
      await ch.bindQueue(queues[match], ex, '', { 'x-match': match, a: 1, b: 'two', 'x-extra': 'x' })
    }
    const outcome: string[] = []
    const expected: string[] = []
    for (const c of cases) {
      const q = queues[c.match] as string
      await ch.purgeQueue(q)
      ch.publish(ex, '', Buffer.from('m'), { headers: c.headers })
      await sync(ch)
      const got = (await ch.checkQueue(q)).messageCount === 1
      outcome.push(`${c.match} ${JSON.stringify(c.headers)} -> ${got}`)
      expected.push(`${c.match} ${JSON.stringify(c.headers)} -> ${c.expect}`)
    }
    assert.deepEqual(outcome, expected)
    await ch.deleteExchange(ex)
    await conn.close()
  })

  test('no x-match means all; a binding with no other keys matches everything', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const ex = uniqueName('hdr2')
    await ch.assertExchange(ex, 'headers', { autoDelete: false })
    const dflt = await exclusiveQueue(ch)
    const empty = await exclusiveQueue(ch)
    await ch.bindQueue(dflt, ex, '', { a: 1, b: 2 })
    await ch.bindQueue(empty, ex, '', {})
    ch.publish(ex, '', Buffer.from('1'), { headers: { a: 1 } })
    ch.publish(ex, '', Buffer.from('2'), { headers: { a: 1, b: 2 } })
    ch.publish(ex, '', Buffer.from('3'))
    await sync(ch)
    assert.deepEqual(await drain(ch, dflt), ['2'])
    assert.deepEqual(await drain(ch, empty), ['1', '2', '3'])
    await ch.deleteExchange(ex)
    await conn.close()
  })

  test('an invalid x-match value is refused with 406', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const ex = uniqueName('hdr3')
    await ch.assertExchange(ex, 'headers', { autoDelete: false })
    const q = await exclusiveQueue(ch)
    const err = await rejection(() => ch.bindQueue(q, ex, '', { 'x-match': 'some' }))
    assert.equal(err.code, 406)
    assert.equal(
      err.text,
      'PRECONDITION_FAILED - Invalid x-match field value <<"some">>; expected all, any, all-with-x, or any-with-x',
    )
    const ch2 = await channel(conn)
    await ch2.deleteExchange(ex)
    await conn.close()
  })
})

describe('topic exchange', () => {
  const patterns = ['#', 'a.#', '*', '*.b', 'a.*', 'a.#.b', '#.b', 'a.*.#', '*.*', 'a..b', '#.#', 'a.b.c']
  const keys = ['', 'a', 'a.b', '.b', 'a.', 'a.x.b', 'a.x.y.b', 'a..b', 'b', 'a.b.c', '..']

  /** The matching rule RabbitMQ implements: '*' is exactly one word, '#' zero or more; '' has no words. */
  function matches(pattern: string, key: string): boolean {
    const words = (s: string): string[] => (s === '' ? [] : s.split('.'))
    const go = (p: string[], k: string[]): boolean => {
      if (p.length === 0) return k.length === 0
      const [head, ...rest] = p
      if (head === '#') return go(rest, k) || (k.length > 0 && go(p, k.slice(1)))
      if (k.length === 0) return false
      return (head === '*' || head === k[0]) && go(rest, k.slice(1))
    }
    return go(words(pattern), words(key))
  }

  test('edge cases: empty words, empty key, # at both ends', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const ex = uniqueName('topic-edge')
    await ch.assertExchange(ex, 'topic', { autoDelete: false })
    const byPattern = new Map<string, string>()
    for (const p of patterns) {
      const q = await exclusiveQueue(ch)
      await ch.bindQueue(q, ex, p)
      byPattern.set(p, q)
    }
    const outcome: string[] = []
    const expected: string[] = []
    for (const key of keys) {
      ch.publish(ex, key, Buffer.from(key))
      await sync(ch)
      for (const [p, q] of byPattern) {
        const got = (await drain(ch, q)).length === 1
        outcome.push(`'${p}' ~ '${key}': ${got}`)
        expected.push(`'${p}' ~ '${key}': ${matches(p, key)}`)
      }
    }
    assert.deepEqual(outcome, expected)
    await ch.deleteExchange(ex)
    await conn.close()
  })

  test('5,000 bindings route every message to exactly the right queues', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const ex = uniqueName('topic-many')
    await ch.assertExchange(ex, 'topic', { autoDelete: false })
    const nQueues = 20
    const queues: string[] = []
    for (let i = 0; i < nQueues; i++) queues.push(await exclusiveQueue(ch))
    // Binding i goes to queue i % nQueues; patterns mix literals, '*' and '#'.
    const pattern = (i: number): string =>
      i % 10 === 0 ? `s.${i}.#` : i % 10 === 1 ? `s.*.${i}` : `s.${i}.w${i % 7}`
    const binds: Array<Promise<unknown>> = []
    for (let i = 0; i < 5000; i++) binds.push(ch.bindQueue(queues[i % nQueues] as string, ex, pattern(i)))
    await Promise.all(binds)
    const samples = [0, 1, 2, 17, 30, 31, 999, 1000, 2501, 4998, 4999]
    const keyFor = (i: number): string =>
      i % 10 === 0 ? `s.${i}.deep.er` : i % 10 === 1 ? `s.any.${i}` : `s.${i}.w${i % 7}`
    for (const i of samples) ch.publish(ex, keyFor(i), Buffer.from(String(i)))
    ch.publish(ex, 's.1.w2', Buffer.from('nobody')) // i=1 is 's.*.1'; 's.1.w2' matches no pattern
    await sync(ch)
    const got: string[] = []
    for (let qi = 0; qi < nQueues; qi++) {
      for (const b of await drain(ch, queues[qi] as string)) got.push(`${b}@${qi}`)
    }
    const want = samples.map((i) => `${i}@${i % nQueues}`)
    assert.deepEqual(got.sort(), want.sort())
    await ch.deleteExchange(ex)
    await conn.close()
  })
})
