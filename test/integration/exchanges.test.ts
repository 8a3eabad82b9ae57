// Routing through exchanges as RabbitMQ does it: exchange-to-exchange bindings (loops included),
// alternate exchanges, auto-delete exchanges, the headers exchange's match modes, topic patterns.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type RawClient, type Table, typed } from '../helpers/raw-client.js'
import { channelClose, closeOf, useRawTarget } from '../helpers/raw-target.js'
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

// ---------------------------------------------------------------------------------------------------
// exchange.declare / exchange.delete answers, headers matching of typed values and more topic cases,
// recorded from RabbitMQ 3.10.8 by a differential probe. Raw frames, so the close frame's class/method
// ids and the kind of close (channel or connection) are checked too.

const raw = useRawTarget(t)
const rawOpen = (channels: readonly number[] = [1]): Promise<RawClient> => raw.open(channels)
const chClose = channelClose

async function xDeclare(
  c: RawClient,
  exchange: string,
  type: string,
  opts: Record<string, unknown> = {},
  ch = 1,
): Promise<void> {
  await c.call(ch, 'exchange.declare', { exchange, type, ...opts }, 'exchange.declare-ok')
}

/** Empties each queue with basic.get on channel 1; returns its bodies joined by spaces, per name. */
async function drainBodies(c: RawClient, queues: Record<string, string>): Promise<Record<string, string>> {
  const got: Record<string, string> = {}
  for (const [name, q] of Object.entries(queues)) {
    const bodies: string[] = []
    for (;;) {
      c.send(1, 'basic.get', { queue: q, noAck: true })
      const f = await c.next((m) => m.method === 'basic.get-ok' || m.method === 'basic.get-empty')
      if (f?.method !== 'basic.get-ok') break
      bodies.push((await c.next((m) => m.type === 3))?.payload.toString() ?? '')
    }
    got[name] = bodies.join(' ')
  }
  return got
}

async function xDeleteLater(exchange: string): Promise<void> {
  const c = await rawOpen()
  await c.call(1, 'exchange.delete', { exchange }, 'exchange.delete-ok')
  await c.close()
}

describe('exchange.declare', () => {
  test('each built-in type can be declared and deleted', async () => {
    const c = await rawOpen()
    for (const type of ['direct', 'fanout', 'topic', 'headers']) {
      const x = uniqueName('type-' + type)
      await xDeclare(c, x, type)
      await c.call(1, 'exchange.delete', { exchange: x }, 'exchange.delete-ok')
    }
  })

  test('passive declare of a missing exchange: 404 on the channel', async () => {
    const c = await rawOpen()
    const x = uniqueName('missing')
    c.send(1, 'exchange.declare', { exchange: x, type: 'direct', passive: true })
    assert.deepEqual(await closeOf(c), chClose(404, `NOT_FOUND - no exchange '${x}' in vhost '/'`, 40, 10))
    assert.equal(await c.endsWithin(100), false)
  })

  test('passive declare ignores the type (another type, or none)', async () => {
    const c = await rawOpen()
    const x = uniqueName('passive')
    await xDeclare(c, x, 'direct')
    await xDeclare(c, x, 'fanout', { passive: true })
    await xDeclare(c, x, '', { passive: true })
    await c.call(1, 'exchange.delete', { exchange: x }, 'exchange.delete-ok')
  })

  const inequivalent: Array<[string, Record<string, unknown>, Record<string, unknown>, string]> = [
    [
      'type',
      { type: 'direct' },
      { type: 'fanout' },
      "inequivalent arg 'type' for exchange '%X' in vhost '/': received 'fanout' but current is 'direct'",
    ],
    [
      'durable (false, then true)',
      {},
      { durable: true },
      "inequivalent arg 'durable' for exchange '%X' in vhost '/': received 'true' but current is 'false'",
    ],
    [
      'durable (true, then false)',
      { durable: true },
      {},
      "inequivalent arg 'durable' for exchange '%X' in vhost '/': received 'false' but current is 'true'",
    ],
    [
      'auto-delete',
      {},
      { autoDelete: true },
      "inequivalent arg 'auto_delete' for exchange '%X' in vhost '/': received 'true' but current is 'false'",
    ],
    [
      'internal',
      {},
      { internal: true },
      "inequivalent arg 'internal' for exchange '%X' in vhost '/': received 'true' but current is 'false'",
    ],
    [
      'alternate-exchange (added)',
      {},
      { arguments: { 'alternate-exchange': 'ae' } },
      "inequivalent arg 'alternate-exchange' for exchange '%X' in vhost '/': received the value 'ae' of type 'longstr' but current is none",
    ],
    [
      'alternate-exchange (removed)',
      { arguments: { 'alternate-exchange': 'ae' } },
      {},
      "inequivalent arg 'alternate-exchange' for exchange '%X' in vhost '/': received none but current is the value 'ae' of type 'longstr'",
    ],
    [
      'alternate-exchange (changed)',
      { arguments: { 'alternate-exchange': 'ae' } },
      { arguments: { 'alternate-exchange': 'ae2' } },
      "inequivalent arg 'alternate-exchange' for exchange '%X' in vhost '/': received 'ae2' but current is 'ae'",
    ],
  ]
  for (const [what, first, second, text] of inequivalent) {
    test(`redeclare with another ${what}: 406 with RabbitMQ's text`, async () => {
      const c = await rawOpen()
      const x = uniqueName('ineq')
      await xDeclare(c, x, 'direct', first)
      c.send(1, 'exchange.declare', { exchange: x, type: 'direct', ...second })
      assert.deepEqual(
        await closeOf(c),
        chClose(406, `PRECONDITION_FAILED - ${text.replace('%X', x)}`, 40, 10),
      )
      await xDeleteLater(x)
    })
  }

  test('redeclare with the same alternate-exchange, or other arguments changed, is equivalent', async () => {
    const c = await rawOpen()
    const x = uniqueName('eq')
    await xDeclare(c, x, 'direct', { arguments: { 'alternate-exchange': 'ae', 'x-foo': 'a' } })
    await xDeclare(c, x, 'direct', { arguments: { 'alternate-exchange': 'ae', 'x-foo': 'b', bar: 1 } })
    await c.call(1, 'exchange.delete', { exchange: x }, 'exchange.delete-ok')
  })

  test('an unknown type closes the connection with 503, even for an existing exchange', async () => {
    for (const name of [uniqueName('unknown'), 'amq.direct']) {
      const c = await rawOpen()
      c.send(1, 'exchange.declare', { exchange: name, type: 'nosuchtype', durable: true })
      assert.deepEqual(await closeOf(c), {
        kind: 'connection',
        channel: 0,
        replyCode: 503,
        replyText: "COMMAND_INVALID - unknown exchange type 'nosuchtype'",
        classId: 40,
        methodId: 10,
      })
      assert.equal(await c.endsWithin(1000), true)
    }
  })

  test("an empty type on a non-passive declare: 503 invalid exchange type ''", async () => {
    const c = await rawOpen()
    c.send(1, 'exchange.declare', { exchange: uniqueName('notype'), type: '' })
    assert.deepEqual(await closeOf(c), {
      kind: 'connection',
      channel: 0,
      replyCode: 503,
      replyText: "COMMAND_INVALID - invalid exchange type ''",
      classId: 40,
      methodId: 10,
    })
  })

  test('the default exchange cannot be declared, not even passively: 403', async () => {
    const c = await rawOpen([1, 2])
    c.send(1, 'exchange.declare', { exchange: '', type: 'direct', durable: true })
    assert.deepEqual(
      await closeOf(c),
      chClose(403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 40, 10),
    )
    c.send(2, 'exchange.declare', { exchange: '', type: 'direct', passive: true })
    assert.deepEqual(
      await closeOf(c),
      chClose(403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 40, 10, 2),
    )
  })

  test("a new name starting with 'amq.': 403; passive: 404; the prefix check is case-sensitive", async () => {
    const c = await rawOpen([1, 2, 3])
    c.send(1, 'exchange.declare', { exchange: 'amq.foo', type: 'direct' })
    assert.deepEqual(
      await closeOf(c),
      chClose(403, "ACCESS_REFUSED - exchange name 'amq.foo' contains reserved prefix 'amq.*'", 40, 10),
    )
    c.send(2, 'exchange.declare', { exchange: 'amq.foo', type: 'direct', passive: true })
    assert.deepEqual(
      await closeOf(c),
      chClose(404, "NOT_FOUND - no exchange 'amq.foo' in vhost '/'", 40, 10, 2),
    )
    const upper = 'AMQ.' + uniqueName('upper')
    await xDeclare(c, upper, 'direct', {}, 3)
    await c.call(3, 'exchange.delete', { exchange: upper }, 'exchange.delete-ok')
  })

  test('the amq.* exchanges exist (amq.match and amq.rabbitmq.trace included) and redeclare equivalently', async () => {
    const c = await rawOpen()
    for (const x of [
      'amq.direct',
      'amq.fanout',
      'amq.topic',
      'amq.headers',
      'amq.match',
      'amq.rabbitmq.trace',
    ]) {
      await xDeclare(c, x, '', { passive: true })
    }
    await xDeclare(c, 'amq.direct', 'direct', { durable: true })
    await xDeclare(c, 'amq.topic', 'topic', { durable: true })
    await xDeclare(c, 'amq.match', 'headers', { durable: true })
  })

  test('redeclaring amq.direct non-durable or as fanout: 406', async () => {
    const c = await rawOpen([1, 2])
    c.send(1, 'exchange.declare', { exchange: 'amq.direct', type: 'direct' })
    assert.deepEqual(
      await closeOf(c),
      chClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'durable' for exchange 'amq.direct' in vhost '/': received 'false' but current is 'true'",
        40,
        10,
      ),
    )
    c.send(2, 'exchange.declare', { exchange: 'amq.direct', type: 'fanout', durable: true })
    assert.deepEqual(
      await closeOf(c),
      chClose(
        406,
        "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'amq.direct' in vhost '/': received 'fanout' but current is 'direct'",
        40,
        10,
        2,
      ),
    )
  })

  test('an alternate-exchange argument that is not a string: 406, exchange not created', async () => {
    const c = await rawOpen([1, 2])
    const x = uniqueName('ae-type')
    c.send(1, 'exchange.declare', { exchange: x, type: 'direct', arguments: { 'alternate-exchange': 5 } })
    assert.deepEqual(
      await closeOf(c),
      chClose(
        406,
        `PRECONDITION_FAILED - invalid type 'signedint' for arg 'alternate-exchange' in exchange '${x}' in vhost '/'`,
        40,
        10,
      ),
    )
    c.send(2, 'exchange.declare', { exchange: x, type: 'direct', passive: true })
    assert.equal((await closeOf(c)).replyCode, 404)
  })
})

describe('exchange.delete', () => {
  test('deleting a missing exchange is delete-ok', async () => {
    const c = await rawOpen()
    await c.call(1, 'exchange.delete', { exchange: uniqueName('missing') }, 'exchange.delete-ok')
    await c.call(
      1,
      'exchange.delete',
      { exchange: uniqueName('missing'), ifUnused: true },
      'exchange.delete-ok',
    )
  })

  test('if-unused with a queue bound to it: 406 in use; without bindings it is deleted', async () => {
    const c = await rawOpen([1, 2])
    const x = uniqueName('inuse')
    await xDeclare(c, x, 'direct')
    const q = uniqueName('q')
    await c.call(1, 'queue.declare', { queue: q, exclusive: true }, 'queue.declare-ok')
    await c.call(1, 'queue.bind', { queue: q, exchange: x, routingKey: 'k' }, 'queue.bind-ok')
    c.send(1, 'exchange.delete', { exchange: x, ifUnused: true })
    assert.deepEqual(
      await closeOf(c),
      chClose(406, `PRECONDITION_FAILED - exchange '${x}' in vhost '/' in use`, 40, 20),
    )
    await c.call(2, 'queue.unbind', { queue: q, exchange: x, routingKey: 'k' }, 'queue.unbind-ok')
    await c.call(2, 'exchange.delete', { exchange: x, ifUnused: true }, 'exchange.delete-ok')
    await c.call(2, 'exchange.declare', { exchange: x, type: 'fanout' }, 'exchange.declare-ok')
    await c.call(2, 'exchange.delete', { exchange: x }, 'exchange.delete-ok')
  })

  test('if-unused only looks at bindings where the exchange is the source', async () => {
    const c = await rawOpen()
    const [src, dst] = [uniqueName('src'), uniqueName('dst')]
    await xDeclare(c, src, 'direct')
    await xDeclare(c, dst, 'direct')
    await c.call(1, 'exchange.bind', { destination: dst, source: src, routingKey: 'k' }, 'exchange.bind-ok')
    await c.call(1, 'exchange.delete', { exchange: dst, ifUnused: true }, 'exchange.delete-ok')
    await c.call(1, 'exchange.delete', { exchange: src, ifUnused: true }, 'exchange.delete-ok')
  })

  test('amq.* names (existing or not) cannot be deleted: 403 deletion of system exchange', async () => {
    const c = await rawOpen([1, 2])
    c.send(1, 'exchange.delete', { exchange: 'amq.direct' })
    assert.deepEqual(
      await closeOf(c),
      chClose(
        403,
        "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed",
        40,
        20,
      ),
    )
    c.send(2, 'exchange.delete', { exchange: 'amq.foo' })
    assert.deepEqual(
      await closeOf(c),
      chClose(
        403,
        "ACCESS_REFUSED - deletion of system exchange 'amq.foo' in vhost '/' not allowed",
        40,
        20,
        2,
      ),
    )
  })

  test('the default exchange cannot be deleted: 403', async () => {
    const c = await rawOpen()
    c.send(1, 'exchange.delete', { exchange: '' })
    assert.deepEqual(
      await closeOf(c),
      chClose(403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 40, 20),
    )
  })
})

describe('headers exchange: typed values', () => {
  // Bindings and messages built with explicit AMQP field types; the expected matches were recorded
  // from RabbitMQ 3.10.8. Numbers compare by value across integer and float types; a longstr matches
  // a byte array with the same bytes; a void binding value only asks for the key to be present.
  const bindings: Record<string, Table> = {
    byte: { a: typed('b', 1) },
    long: { a: typed('l', 1n) },
    double: { a: typed('d', 1.0) },
    string: { a: '1' },
    bool: { a: true },
    decimal: { a: typed('D', [0, 1]) },
    table: { a: { n: 1 } },
    array: { a: [1, 2] },
    voidAll: { 'x-match': 'all', a: null },
    voidAny: { 'x-match': 'any', a: null, z: 'q' },
    allWithXKeyIgnored: { 'x-match': 'all', 'x-foo': '1', a: 1 },
    anyOnlyXKeys: { 'x-match': 'any', 'x-foo': '1' },
    anyNoKeys: { 'x-match': 'any' },
    allNoKeys: { 'x-match': 'all' },
  }
  const messages: Array<[string, Table | undefined]> = [
    ['ab', { a: 1, b: 'x' }],
    ['a', { a: 1 }],
    ['b', { b: 'x' }],
    ['a2', { a: 2 }],
    ['empty', {}],
    ['none', undefined],
    ['long', { a: typed('l', 1n) }],
    ['byte', { a: typed('b', 1) }],
    ['ushort', { a: typed('u', 1) }],
    ['double', { a: typed('d', 1.0) }],
    ['float', { a: typed('f', 1.0) }],
    ['string', { a: '1' }],
    ['bytes', { a: typed('x', Buffer.from('1')) }],
    ['xfoo+a', { 'x-foo': '1', a: 1 }],
    ['xfoo', { 'x-foo': '1' }],
    ['void', { a: null }],
    ['true', { a: true }],
    ['decimal', { a: typed('D', [0, 1]) }],
    ['table', { a: { n: 1 } }],
    ['array', { a: [1, 2] }],
  ]
  const numeric = 'ab a long byte ushort double float xfoo+a'
  const withA = 'ab a a2 long byte ushort double float string bytes xfoo+a void true decimal table array'
  const expected: Record<string, string> = {
    byte: numeric,
    long: numeric,
    double: numeric,
    string: 'string bytes',
    bool: 'true',
    decimal: 'decimal',
    table: 'table',
    array: 'array',
    voidAll: withA,
    voidAny: withA,
    allWithXKeyIgnored: numeric,
    anyOnlyXKeys: '',
    anyNoKeys: '',
    allNoKeys: messages.map(([n]) => n).join(' '),
  }

  test('which typed header values match which typed binding values', async () => {
    const c = await rawOpen()
    const x = uniqueName('hdr-typed')
    await xDeclare(c, x, 'headers', { autoDelete: false })
    const queues: Record<string, string> = {}
    for (const [name, args] of Object.entries(bindings)) {
      queues[name] = (
        (await c.call(1, 'queue.declare', { queue: '', exclusive: true }, 'queue.declare-ok')) as {
          queue: string
        }
      ).queue
      await c.call(
        1,
        'queue.bind',
        { queue: queues[name], exchange: x, routingKey: '', arguments: args },
        'queue.bind-ok',
      )
    }
    for (const [name, headers] of messages) c.publish(1, x, '', name, headers ? { headers } : {})
    await c.call(1, 'basic.qos', {}, 'basic.qos-ok')
    assert.deepEqual(await drainBodies(c, queues), expected)
    await c.call(1, 'exchange.delete', { exchange: x }, 'exchange.delete-ok')
  })

  test('x-match that is not a string: 406 invalid x-match field type', async () => {
    const c = await rawOpen()
    const x = uniqueName('hdr-xmatch')
    await xDeclare(c, x, 'headers', { autoDelete: true })
    const q = uniqueName('q')
    await c.call(1, 'queue.declare', { queue: q, exclusive: true }, 'queue.declare-ok')
    c.send(1, 'queue.bind', { queue: q, exchange: x, routingKey: '', arguments: { 'x-match': 1, a: 1 } })
    assert.deepEqual(
      await closeOf(c),
      chClose(
        406,
        'PRECONDITION_FAILED - Invalid x-match field type signedint (value 1); expected longstr',
        50,
        20,
      ),
    )
    await xDeleteLater(x)
  })
})

describe('topic exchange: more patterns (table recorded from RabbitMQ)', () => {
  const keys = [
    '',
    'a',
    'b',
    'a.b',
    'a..b',
    '.',
    'a.b.c',
    'a.x.y.b',
    '.a',
    'a.',
    '..',
    'a.b.b',
    'x.a.y',
    'a.b.a.b',
  ]
  const all = keys.map((k) => JSON.stringify(k)).join(' ')
  const allButEmpty = keys
    .filter((k) => k !== '')
    .map((k) => JSON.stringify(k))
    .join(' ')
  const expected: Record<string, string> = {
    '#': all,
    '#.#': all,
    '*.#': allButEmpty,
    '#.*': allButEmpty,
    '*': '"a" "b"',
    a: '"a"',
    'a.*': '"a.b" "a."',
    'a.#': '"a" "a.b" "a..b" "a.b.c" "a.x.y.b" "a." "a.b.b" "a.b.a.b"',
    '#.b': '"b" "a.b" "a..b" "a.x.y.b" "a.b.b" "a.b.a.b"',
    'a.#.b': '"a.b" "a..b" "a.x.y.b" "a.b.b" "a.b.a.b"',
    'a.#.#.b': '"a.b" "a..b" "a.x.y.b" "a.b.b" "a.b.a.b"',
    '*.*': '"a.b" "." ".a" "a."',
    'a..b': '"a..b"',
    '': '""',
    'a.*.#': '"a.b" "a..b" "a.b.c" "a.x.y.b" "a." "a.b.b" "a.b.a.b"',
    '*.b.*': '"a.b.c" "a.b.b"',
    '#.a.#': '"a" "a.b" "a..b" "a.b.c" "a.x.y.b" ".a" "a." "a.b.b" "x.a.y" "a.b.a.b"',
  }

  test('each pattern receives exactly the keys RabbitMQ routes to it, in publish order', async () => {
    const c = await rawOpen()
    const x = uniqueName('topic-table')
    await xDeclare(c, x, 'topic', { autoDelete: false })
    const queues: Record<string, string> = {}
    for (const p of Object.keys(expected)) {
      queues[p] = (
        (await c.call(1, 'queue.declare', { queue: '', exclusive: true }, 'queue.declare-ok')) as {
          queue: string
        }
      ).queue
      await c.call(1, 'queue.bind', { queue: queues[p], exchange: x, routingKey: p }, 'queue.bind-ok')
    }
    for (const k of keys) c.publish(1, x, k, JSON.stringify(k))
    await c.call(1, 'basic.qos', {}, 'basic.qos-ok')
    assert.deepEqual(await drainBodies(c, queues), expected)
    await c.call(1, 'exchange.delete', { exchange: x }, 'exchange.delete-ok')
  })
})
