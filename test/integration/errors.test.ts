// Error answers as RabbitMQ 3.10 gives them: reply code, exact reply text, the class/method ids in the
// close frame, and whether the channel or the whole connection is closed. Every expectation below was
// recorded from RabbitMQ 3.10.8 with a differential probe; run this file against RabbitMQ itself with
//   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5676 node --test dist/test/integration/errors.test.js
// Frames are sent with the raw client so that nothing a client library does hides the broker's answer.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { RawClient, Table } from '../helpers/raw-client.js'
import { typed } from '../helpers/raw-client.js'
import { channelClose, closeOf, connectionClose, useRawTarget } from '../helpers/raw-target.js'
import { sleep, uniqueName } from '../helpers/target.js'

const t = useRawTarget()
const open = (channels: readonly number[] = [1]): Promise<RawClient> => t.open(channels)

const RESOURCE_LOCKED = (q: string): string =>
  `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`

async function declare(
  c: RawClient,
  queue: string,
  opts: Record<string, unknown> = {},
  ch = 1,
): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
  return (await c.call(ch, 'queue.declare', { queue, ...opts }, 'queue.declare-ok')) as {
    queue: string
    messageCount: number
    consumerCount: number
  }
}

/** Publishes and waits for the broker to have routed it (a round trip on the same channel). */
async function publishSync(
  c: RawClient,
  exchange: string,
  routingKey: string,
  body: string,
  ch = 1,
): Promise<void> {
  c.publish(ch, exchange, routingKey, body)
  await c.call(ch, 'basic.qos', { prefetchCount: 0 }, 'basic.qos-ok')
}

async function deleteQueue(queue: string): Promise<void> {
  const c = await open()
  await c.call(1, 'queue.delete', { queue }, 'queue.delete-ok')
  await c.close()
}

describe('queue.declare', () => {
  test('passive declare of a missing queue: 404 on the channel', async () => {
    const c = await open()
    const q = uniqueName('missing')
    c.send(1, 'queue.declare', { queue: q, passive: true })
    assert.deepEqual(await closeOf(c), channelClose(404, `NOT_FOUND - no queue '${q}' in vhost '/'`, 50, 10))
    assert.equal(await c.endsWithin(100), false, 'the connection stays open')
  })

  test("passive declare with an empty name and no queue declared before: 404 no queue ''", async () => {
    const c = await open()
    c.send(1, 'queue.declare', { queue: '', passive: true })
    assert.deepEqual(await closeOf(c), channelClose(404, "NOT_FOUND - no queue '' in vhost '/'", 50, 10))
  })

  test('a server-named queue is amq.gen-<22 characters>, empty, without consumers', async () => {
    const c = await open()
    const ok = await declare(c, '', { exclusive: true })
    assert.match(ok.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/)
    assert.equal(ok.messageCount, 0)
    assert.equal(ok.consumerCount, 0)
  })

  test('declare-ok counts ready messages and consumers; delivered messages no longer count', async () => {
    const c = await open()
    const q = uniqueName('counts')
    await declare(c, q, { exclusive: true })
    c.publish(1, '', q, 'a')
    await publishSync(c, '', q, 'b')
    assert.deepEqual(await declare(c, q, { exclusive: true }), {
      queue: q,
      messageCount: 2,
      consumerCount: 0,
    })
    assert.deepEqual(await declare(c, q, { passive: true }), { queue: q, messageCount: 2, consumerCount: 0 })
    await c.call(1, 'basic.consume', { queue: q, consumerTag: 'c1' }, 'basic.consume-ok')
    await c.expect('basic.deliver', 1)
    await c.expect('basic.deliver', 1)
    assert.deepEqual(await declare(c, q, { passive: true }), { queue: q, messageCount: 0, consumerCount: 1 })
  })

  const inequivalent: Array<[string, Record<string, unknown>, Record<string, unknown>, string]> = [
    [
      'durable false then true',
      {},
      { durable: true },
      "inequivalent arg 'durable' for queue '%Q' in vhost '/': received 'true' but current is 'false'",
    ],
    [
      'durable true then false',
      { durable: true },
      {},
      "inequivalent arg 'durable' for queue '%Q' in vhost '/': received 'false' but current is 'true'",
    ],
    [
      'auto_delete',
      {},
      { autoDelete: true },
      "inequivalent arg 'auto_delete' for queue '%Q' in vhost '/': received 'true' but current is 'false'",
    ],
    [
      'x-max-length changed',
      { arguments: { 'x-max-length': 10 } },
      { arguments: { 'x-max-length': 20 } },
      "inequivalent arg 'x-max-length' for queue '%Q' in vhost '/': received '20' but current is '10'",
    ],
    [
      'x-max-length added',
      {},
      { arguments: { 'x-max-length': 10 } },
      "inequivalent arg 'x-max-length' for queue '%Q' in vhost '/': received the value '10' of type 'signedint' but current is none",
    ],
    [
      'x-max-length removed',
      { arguments: { 'x-max-length': 10 } },
      {},
      "inequivalent arg 'x-max-length' for queue '%Q' in vhost '/': received none but current is the value '10' of type 'signedint'",
    ],
    [
      'x-message-ttl changed',
      { arguments: { 'x-message-ttl': 1000 } },
      { arguments: { 'x-message-ttl': 2000 } },
      "inequivalent arg 'x-message-ttl' for queue '%Q' in vhost '/': received '2000' but current is '1000'",
    ],
    [
      'x-expires changed',
      { arguments: { 'x-expires': 100000 } },
      { arguments: { 'x-expires': 200000 } },
      "inequivalent arg 'x-expires' for queue '%Q' in vhost '/': received '200000' but current is '100000'",
    ],
    [
      'x-dead-letter-exchange changed',
      { arguments: { 'x-dead-letter-exchange': 'a' } },
      { arguments: { 'x-dead-letter-exchange': 'b' } },
      "inequivalent arg 'x-dead-letter-exchange' for queue '%Q' in vhost '/': received 'b' but current is 'a'",
    ],
    [
      'x-dead-letter-routing-key added',
      { arguments: { 'x-dead-letter-exchange': 'a' } },
      { arguments: { 'x-dead-letter-exchange': 'a', 'x-dead-letter-routing-key': 'k' } },
      "inequivalent arg 'x-dead-letter-routing-key' for queue '%Q' in vhost '/': received the value 'k' of type 'longstr' but current is none",
    ],
    [
      'x-max-priority changed',
      { arguments: { 'x-max-priority': 5 } },
      { arguments: { 'x-max-priority': 6 } },
      "inequivalent arg 'x-max-priority' for queue '%Q' in vhost '/': received '6' but current is '5'",
    ],
    [
      'x-overflow changed',
      { arguments: { 'x-overflow': 'drop-head' } },
      { arguments: { 'x-overflow': 'reject-publish' } },
      "inequivalent arg 'x-overflow' for queue '%Q' in vhost '/': received 'reject-publish' but current is 'drop-head'",
    ],
  ]
  for (const [what, first, second, text] of inequivalent) {
    test(`redeclare with a different ${what}: 406 with RabbitMQ's text`, async () => {
      const c = await open()
      const q = uniqueName('ineq')
      await declare(c, q, first)
      c.send(1, 'queue.declare', { queue: q, ...second })
      assert.deepEqual(
        await closeOf(c),
        channelClose(406, `PRECONDITION_FAILED - ${text.replace('%Q', q)}`, 50, 10),
      )
      await deleteQueue(q)
    })
  }

  const equivalent: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    [
      'the same x-max-length as another integer type (long, byte)',
      { arguments: { 'x-max-length': 10 } },
      { arguments: { 'x-max-length': typed('l', 10n) } },
    ],
    [
      'the same x-max-length as a byte',
      { arguments: { 'x-max-length': 10 } },
      { arguments: { 'x-max-length': typed('b', 10) } },
    ],
    ["x-queue-type 'classic' where none was given", {}, { arguments: { 'x-queue-type': 'classic' } }],
    ['a different argument without x- prefix', { arguments: { foo: 'a' } }, { arguments: { foo: 'b' } }],
    [
      'a different unknown x- argument',
      { arguments: { 'x-unknown': 'a' } },
      { arguments: { 'x-unknown': 'b' } },
    ],
  ]
  for (const [what, first, second] of equivalent) {
    test(`redeclare with ${what} is equivalent`, async () => {
      const c = await open()
      const q = uniqueName('eq')
      await declare(c, q, first)
      assert.equal((await declare(c, q, second)).queue, q)
      await c.call(1, 'queue.delete', { queue: q }, 'queue.delete-ok')
    })
  }

  test('redeclaring a queue with another exclusive flag on the same connection: 405, both ways', async () => {
    const c = await open()
    const q1 = uniqueName('excl-a')
    await declare(c, q1)
    c.send(1, 'queue.declare', { queue: q1, exclusive: true })
    assert.deepEqual(await closeOf(c), channelClose(405, RESOURCE_LOCKED(q1), 50, 10))
    await c.openChannel(2)
    const q2 = uniqueName('excl-b')
    await declare(c, q2, { exclusive: true }, 2)
    c.send(2, 'queue.declare', { queue: q2 })
    assert.deepEqual(await closeOf(c), channelClose(405, RESOURCE_LOCKED(q2), 50, 10, 2))
    await deleteQueue(q1)
  })

  test("a name starting with 'amq.': 403; passive declare of such a missing name: 404", async () => {
    const c = await open([1, 2, 3])
    const q = 'amq.' + uniqueName('reserved')
    c.send(1, 'queue.declare', { queue: q })
    assert.deepEqual(
      await closeOf(c),
      channelClose(403, `ACCESS_REFUSED - queue name '${q}' contains reserved prefix 'amq.*'`, 50, 10),
    )
    c.send(2, 'queue.declare', { queue: q, passive: true })
    assert.deepEqual(
      await closeOf(c),
      channelClose(404, `NOT_FOUND - no queue '${q}' in vhost '/'`, 50, 10, 2),
    )
    c.send(3, 'queue.declare', { queue: 'amq.gen-abc' })
    assert.deepEqual(
      await closeOf(c),
      channelClose(
        403,
        "ACCESS_REFUSED - queue name 'amq.gen-abc' contains reserved prefix 'amq.*'",
        50,
        10,
        3,
      ),
    )
  })

  const invalid: Array<[string, unknown, string]> = [
    ['x-max-length', -1, "invalid arg 'x-max-length' for queue '%Q' in vhost '/': {value_negative,-1}"],
    [
      'x-max-length',
      'abc',
      `invalid arg 'x-max-length' for queue '%Q' in vhost '/': "expected integer, got longstr"`,
    ],
    [
      'x-max-length-bytes',
      -1,
      "invalid arg 'x-max-length-bytes' for queue '%Q' in vhost '/': {value_negative,-1}",
    ],
    [
      'x-message-ttl',
      'abc',
      `invalid arg 'x-message-ttl' for queue '%Q' in vhost '/': "expected integer, got longstr"`,
    ],
    ['x-message-ttl', -1, "invalid arg 'x-message-ttl' for queue '%Q' in vhost '/': {value_negative,-1}"],
    [
      'x-message-ttl',
      1.5,
      `invalid arg 'x-message-ttl' for queue '%Q' in vhost '/': "expected integer, got double"`,
    ],
    ['x-expires', 0, "invalid arg 'x-expires' for queue '%Q' in vhost '/': {value_zero,0}"],
    ['x-expires', -5, "invalid arg 'x-expires' for queue '%Q' in vhost '/': {value_negative,-5}"],
    [
      'x-expires',
      'x',
      `invalid arg 'x-expires' for queue '%Q' in vhost '/': "expected integer, got longstr"`,
    ],
    ['x-max-priority', -1, "invalid arg 'x-max-priority' for queue '%Q' in vhost '/': {value_negative,-1}"],
    [
      'x-max-priority',
      256,
      "invalid arg 'x-max-priority' for queue '%Q' in vhost '/': {max_value_exceeded,256}",
    ],
    [
      'x-max-priority',
      'high',
      `invalid arg 'x-max-priority' for queue '%Q' in vhost '/': "expected integer, got longstr"`,
    ],
    ['x-overflow', 'foo', "invalid arg 'x-overflow' for queue '%Q' in vhost '/': invalid_overflow"],
    ['x-overflow', 5, "invalid arg 'x-overflow' for queue '%Q' in vhost '/': {unacceptable_type,signedint}"],
    [
      'x-dead-letter-exchange',
      5,
      "invalid type 'signedint' for arg 'x-dead-letter-exchange' in queue '%Q' in vhost '/'",
    ],
    [
      'x-dead-letter-routing-key',
      'k',
      "invalid arg 'x-dead-letter-routing-key' for queue '%Q' in vhost '/': routing_key_but_no_dlx_defined",
    ],
    [
      'x-queue-mode',
      'foo',
      `invalid arg 'x-queue-mode' for queue '%Q' in vhost '/': "unsupported queue mode 'foo'"`,
    ],
    [
      'x-queue-type',
      'foo',
      `invalid arg 'x-queue-type' for queue '%Q' in vhost '/': "unsupported queue type 'foo'"`,
    ],
    [
      'x-single-active-consumer',
      'yes',
      "invalid arg 'x-single-active-consumer' for queue '%Q' in vhost '/': {unacceptable_type,longstr}",
    ],
    [
      'x-max-in-memory-length',
      5,
      "invalid arg 'x-max-in-memory-length' for queue '%Q' in vhost '/' of queue type rabbit_classic_queue",
    ],
    // Quorum queue arguments, refused on a classic queue by RabbitMQ 3.10.8 with the same text (Warren's
    // classic queues take x-delivery-limit: see test/integration/delivery-retry.test.ts).
    [
      'x-dead-letter-strategy',
      'at-least-once',
      "invalid arg 'x-dead-letter-strategy' for queue '%Q' in vhost '/' of queue type rabbit_classic_queue",
    ],
  ]
  for (const [arg, value, text] of invalid) {
    test(`invalid ${arg}=${JSON.stringify(value)}: 406, queue not created`, async () => {
      const c = await open([1, 2])
      const q = uniqueName('badarg')
      c.send(1, 'queue.declare', { queue: q, arguments: { [arg]: value } as Table })
      assert.deepEqual(
        await closeOf(c),
        channelClose(406, `PRECONDITION_FAILED - ${text.replace('%Q', q)}`, 50, 10),
      )
      c.send(2, 'queue.declare', { queue: q, passive: true })
      assert.equal((await closeOf(c)).replyCode, 404)
    })
  }
})

describe('an exclusive queue used from another connection: 405 RESOURCE_LOCKED on the channel', () => {
  const ops: Array<[string, (c: RawClient, q: string) => void, number, number]> = [
    ['declare (exclusive)', (c, q) => c.send(1, 'queue.declare', { queue: q, exclusive: true }), 50, 10],
    ['declare (not exclusive)', (c, q) => c.send(1, 'queue.declare', { queue: q }), 50, 10],
    ['passive declare', (c, q) => c.send(1, 'queue.declare', { queue: q, passive: true }), 50, 10],
    ['basic.consume', (c, q) => c.send(1, 'basic.consume', { queue: q }), 60, 20],
    ['basic.get', (c, q) => c.send(1, 'basic.get', { queue: q }), 60, 70],
    ['queue.purge', (c, q) => c.send(1, 'queue.purge', { queue: q }), 50, 30],
    ['queue.delete', (c, q) => c.send(1, 'queue.delete', { queue: q }), 50, 40],
    [
      'queue.bind',
      (c, q) => c.send(1, 'queue.bind', { queue: q, exchange: 'amq.direct', routingKey: 'k2' }),
      50,
      20,
    ],
    [
      'queue.unbind',
      (c, q) => c.send(1, 'queue.unbind', { queue: q, exchange: 'amq.direct', routingKey: 'k' }),
      50,
      50,
    ],
  ]
  for (const [what, op, classId, methodId] of ops) {
    test(what, async () => {
      const owner = await open()
      const q = uniqueName('owned')
      await declare(owner, q, { exclusive: true })
      await owner.call(
        1,
        'queue.bind',
        { queue: q, exchange: 'amq.direct', routingKey: 'k' },
        'queue.bind-ok',
      )
      const other = await open()
      op(other, q)
      assert.deepEqual(await closeOf(other), channelClose(405, RESOURCE_LOCKED(q), classId, methodId))
      assert.equal(await other.endsWithin(100), false, 'only the channel is closed')
      assert.equal((await declare(owner, q, { passive: true })).queue, q, 'the queue is still there')
    })
  }

  test('publishing to it from another connection is allowed', async () => {
    const owner = await open()
    const q = uniqueName('owned-pub')
    await declare(owner, q, { exclusive: true })
    const other = await open()
    other.publish(1, '', q, 'hi', { mandatory: true })
    await other.call(1, 'basic.qos', {}, 'basic.qos-ok')
    assert.equal((await declare(owner, q, { passive: true })).messageCount, 1)
    assert.equal(
      other.pending().some((f) => f.method === 'basic.return'),
      false,
    )
  })
})

describe('queue.bind / queue.unbind / exchange.bind', () => {
  test('binding a missing queue: 404 no queue', async () => {
    const c = await open()
    const q = uniqueName('nq')
    c.send(1, 'queue.bind', { queue: q, exchange: 'amq.direct', routingKey: 'k' })
    assert.deepEqual(await closeOf(c), channelClose(404, `NOT_FOUND - no queue '${q}' in vhost '/'`, 50, 20))
  })

  test('binding to a missing exchange: 404 no exchange (also when the queue is missing too)', async () => {
    const c = await open([1, 2])
    const q = uniqueName('q')
    const x = uniqueName('nx')
    await declare(c, q, { exclusive: true })
    c.send(1, 'queue.bind', { queue: q, exchange: x, routingKey: 'k' })
    assert.deepEqual(
      await closeOf(c),
      channelClose(404, `NOT_FOUND - no exchange '${x}' in vhost '/'`, 50, 20),
    )
    c.send(2, 'queue.bind', { queue: uniqueName('nq'), exchange: x, routingKey: 'k' })
    assert.deepEqual(
      await closeOf(c),
      channelClose(404, `NOT_FOUND - no exchange '${x}' in vhost '/'`, 50, 20, 2),
    )
  })

  test('binding to or unbinding from the default exchange: 403', async () => {
    const c = await open([1, 2])
    const q = uniqueName('q')
    await declare(c, q, { exclusive: true })
    c.send(1, 'queue.bind', { queue: q, exchange: '', routingKey: q })
    assert.deepEqual(
      await closeOf(c),
      channelClose(403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 50, 20),
    )
    c.send(2, 'queue.unbind', { queue: q, exchange: '', routingKey: q })
    assert.deepEqual(
      await closeOf(c),
      channelClose(403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 50, 50, 2),
    )
  })

  test('unbind of a missing queue, a missing exchange or a missing binding is unbind-ok', async () => {
    const c = await open()
    const q = uniqueName('q')
    await declare(c, q, { exclusive: true })
    await c.call(
      1,
      'queue.unbind',
      { queue: uniqueName('nq'), exchange: 'amq.direct', routingKey: 'k' },
      'queue.unbind-ok',
    )
    await c.call(
      1,
      'queue.unbind',
      { queue: q, exchange: uniqueName('nx'), routingKey: 'k' },
      'queue.unbind-ok',
    )
    await c.call(
      1,
      'queue.unbind',
      { queue: q, exchange: 'amq.direct', routingKey: 'nokey' },
      'queue.unbind-ok',
    )
  })

  test('binding twice and unbinding twice both succeed', async () => {
    const c = await open()
    const q = uniqueName('q')
    await declare(c, q, { exclusive: true })
    for (const m of ['queue.bind', 'queue.bind', 'queue.unbind', 'queue.unbind']) {
      await c.call(1, m, { queue: q, exchange: 'amq.direct', routingKey: 'k' }, m + '-ok')
    }
  })

  test("an empty queue name means the channel's last declared queue; with none: 404 no previously declared queue", async () => {
    const c = await open([1, 2])
    const q = uniqueName('last')
    const key = uniqueName('k')
    await declare(c, q, { exclusive: true })
    await c.call(1, 'queue.bind', { queue: '', exchange: 'amq.direct', routingKey: key }, 'queue.bind-ok')
    await publishSync(c, 'amq.direct', key, 'm')
    assert.equal((await declare(c, q, { passive: true })).messageCount, 1)
    c.send(2, 'queue.bind', { queue: '', exchange: 'amq.direct', routingKey: key })
    assert.deepEqual(
      await closeOf(c),
      channelClose(404, 'NOT_FOUND - no previously declared queue', 50, 20, 2),
    )
  })

  test('exchange.bind: missing source or destination is 404, the default exchange 403', async () => {
    const c = await open([1, 2, 3])
    const x = uniqueName('nx')
    c.send(1, 'exchange.bind', { destination: 'amq.direct', source: x, routingKey: 'k' })
    assert.deepEqual(
      await closeOf(c),
      channelClose(404, `NOT_FOUND - no exchange '${x}' in vhost '/'`, 40, 30),
    )
    c.send(2, 'exchange.bind', { destination: x, source: 'amq.direct', routingKey: 'k' })
    assert.deepEqual(
      await closeOf(c),
      channelClose(404, `NOT_FOUND - no exchange '${x}' in vhost '/'`, 40, 30, 2),
    )
    c.send(3, 'exchange.bind', { destination: 'amq.direct', source: '', routingKey: 'k' })
    assert.deepEqual(
      await closeOf(c),
      channelClose(403, 'ACCESS_REFUSED - operation not permitted on the default exchange', 40, 30, 3),
    )
  })
})

describe('queue.purge / queue.delete', () => {
  test('purging a missing queue: 404', async () => {
    const c = await open()
    const q = uniqueName('nq')
    c.send(1, 'queue.purge', { queue: q })
    assert.deepEqual(await closeOf(c), channelClose(404, `NOT_FOUND - no queue '${q}' in vhost '/'`, 50, 30))
  })

  test('purge-ok counts the ready messages only; an unacked message survives the purge', async () => {
    const c = await open([1, 2])
    const q = uniqueName('purge')
    await declare(c, q, { exclusive: true })
    c.publish(1, '', q, 'a')
    c.publish(1, '', q, 'b')
    await publishSync(c, '', q, 'c')
    await c.call(1, 'basic.get', { queue: q }, 'basic.get-ok')
    assert.deepEqual(await c.call(1, 'queue.purge', { queue: q }, 'queue.purge-ok'), { messageCount: 2 })
    await c.call(1, 'channel.close', { replyCode: 200 }, 'channel.close-ok')
    assert.equal((await declare(c, q, { passive: true }, 2)).messageCount, 1)
  })

  test('deleting a missing queue is delete-ok with 0 messages', async () => {
    const c = await open()
    assert.deepEqual(await c.call(1, 'queue.delete', { queue: uniqueName('nq') }, 'queue.delete-ok'), {
      messageCount: 0,
    })
  })

  test('if-unused with a consumer: 406 in use', async () => {
    const c = await open()
    const q = uniqueName('inuse')
    await declare(c, q, { exclusive: true })
    await c.call(1, 'basic.consume', { queue: q, consumerTag: 't' }, 'basic.consume-ok')
    c.send(1, 'queue.delete', { queue: q, ifUnused: true })
    assert.deepEqual(
      await closeOf(c),
      channelClose(406, `PRECONDITION_FAILED - queue '${q}' in vhost '/' in use`, 50, 40),
    )
  })

  test('if-empty with a ready message: 406 not empty; a message that is only unacked does not count', async () => {
    const c = await open([1, 2])
    const q = uniqueName('notempty')
    await declare(c, q, { exclusive: true })
    await publishSync(c, '', q, 'x')
    c.send(1, 'queue.delete', { queue: q, ifEmpty: true })
    assert.deepEqual(
      await closeOf(c),
      channelClose(406, `PRECONDITION_FAILED - queue '${q}' in vhost '/' not empty`, 50, 40),
    )
    await c.call(2, 'basic.get', { queue: q }, 'basic.get-ok')
    assert.deepEqual(await c.call(2, 'queue.delete', { queue: q, ifEmpty: true }, 'queue.delete-ok'), {
      messageCount: 0,
    })
  })

  test('delete-ok carries the number of messages deleted; if-empty/if-unused pass on an idle empty queue', async () => {
    const c = await open()
    const q1 = uniqueName('empty')
    await declare(c, q1, { exclusive: true })
    assert.deepEqual(
      await c.call(1, 'queue.delete', { queue: q1, ifEmpty: true, ifUnused: true }, 'queue.delete-ok'),
      { messageCount: 0 },
    )
    const q2 = uniqueName('two')
    await declare(c, q2, { exclusive: true })
    c.publish(1, '', q2, 'x')
    await publishSync(c, '', q2, 'y')
    assert.deepEqual(await c.call(1, 'queue.delete', { queue: q2 }, 'queue.delete-ok'), { messageCount: 2 })
  })

  test('deleting a queue sends basic.cancel to its consumers (capability consumer_cancel_notify)', async () => {
    const consumer = await open()
    const q = uniqueName('cancelled')
    await declare(consumer, q)
    await consumer.call(1, 'basic.consume', { queue: q, consumerTag: 'ct' }, 'basic.consume-ok')
    const other = await open()
    await other.call(1, 'queue.delete', { queue: q }, 'queue.delete-ok')
    assert.deepEqual(await consumer.expect('basic.cancel', 1), { consumerTag: 'ct', nowait: true })
  })
})

describe('basic.publish', () => {
  test('to a missing exchange: 404 on the channel, class 60 method 40', async () => {
    const c = await open()
    const x = uniqueName('nx')
    c.publish(1, x, 'k', 'x')
    assert.deepEqual(
      await closeOf(c),
      channelClose(404, `NOT_FOUND - no exchange '${x}' in vhost '/'`, 60, 40),
    )
  })

  test('to a missing exchange on a confirm channel: the channel is closed, nothing is confirmed', async () => {
    const c = await open()
    await c.call(1, 'confirm.select', {}, 'confirm.select-ok')
    const x = uniqueName('nx')
    c.publish(1, x, 'k', 'x')
    assert.deepEqual(
      await closeOf(c),
      channelClose(404, `NOT_FOUND - no exchange '${x}' in vhost '/'`, 60, 40),
    )
  })

  test('to an internal exchange: 403', async () => {
    const c = await open()
    const x = uniqueName('internal')
    await c.call(
      1,
      'exchange.declare',
      { exchange: x, type: 'fanout', internal: true, autoDelete: true },
      'exchange.declare-ok',
    )
    c.publish(1, x, 'k', 'x')
    assert.deepEqual(
      await closeOf(c),
      channelClose(403, `ACCESS_REFUSED - cannot publish to internal exchange '${x}' in vhost '/'`, 60, 40),
    )
  })

  test('immediate=true: the connection is closed with 540 NOT_IMPLEMENTED', async () => {
    const c = await open()
    const q = uniqueName('imm')
    await declare(c, q, { exclusive: true })
    c.publish(1, '', q, 'x', { immediate: true })
    assert.deepEqual(await closeOf(c), connectionClose(540, 'NOT_IMPLEMENTED - immediate=true', 60, 40))
    assert.equal(await c.endsWithin(1000), true)
  })

  test('mandatory and unroutable: basic.return 312 NO_ROUTE with exchange, key, header and body', async () => {
    const c = await open()
    const q = uniqueName('nq')
    c.publish(1, 'amq.direct', 'nobody', 'body1', { mandatory: true })
    c.publish(1, '', q, 'body2', { mandatory: true })
    assert.deepEqual(await c.expect('basic.return', 1), {
      replyCode: 312,
      replyText: 'NO_ROUTE',
      exchange: 'amq.direct',
      routingKey: 'nobody',
    })
    const h = await c.next((f) => f.type === 2)
    assert.equal(h?.payload.readBigUInt64BE(4), 5n)
    assert.equal((await c.next((f) => f.type === 3))?.payload.toString(), 'body1')
    assert.deepEqual(await c.expect('basic.return', 1), {
      replyCode: 312,
      replyText: 'NO_ROUTE',
      exchange: '',
      routingKey: q,
    })
    assert.equal((await c.next((f) => f.type === 3))?.payload.toString(), 'body2')
  })

  test('mandatory and unroutable on a confirm channel: basic.return first, then basic.ack', async () => {
    const c = await open()
    await c.call(1, 'confirm.select', {}, 'confirm.select-ok')
    c.publish(1, 'amq.direct', 'nobody', 'x', { mandatory: true })
    await c.settle()
    const methods = c
      .pending()
      .filter((f) => f.method)
      .map((f) => f.method)
    assert.deepEqual(methods, ['basic.return', 'basic.ack'])
    assert.deepEqual(c.pending().find((f) => f.method === 'basic.ack')?.args, {
      deliveryTag: 1,
      multiple: false,
    })
  })

  test('routable mandatory, or unroutable without mandatory: nothing comes back', async () => {
    const c = await open()
    const q = uniqueName('routable')
    await declare(c, q, { exclusive: true })
    c.publish(1, '', q, 'x', { mandatory: true })
    c.publish(1, 'amq.direct', 'nobody', 'x')
    await c.call(1, 'basic.qos', {}, 'basic.qos-ok')
    await c.settle()
    assert.deepEqual(
      c.pending().map((f) => f.method),
      [],
    )
  })
})

describe('basic.consume / basic.cancel', () => {
  test('on a missing queue: 404', async () => {
    const c = await open()
    const q = uniqueName('nq')
    c.send(1, 'basic.consume', { queue: q })
    assert.deepEqual(await closeOf(c), channelClose(404, `NOT_FOUND - no queue '${q}' in vhost '/'`, 60, 20))
  })

  test('a server-generated consumer tag is amq.ctag-<22 characters>', async () => {
    const c = await open()
    const q = uniqueName('ctag')
    await declare(c, q, { exclusive: true })
    const ok = await c.call(1, 'basic.consume', { queue: q }, 'basic.consume-ok')
    assert.match(ok['consumerTag'] as string, /^amq\.ctag-[A-Za-z0-9_-]{22}$/)
  })

  test('reusing a consumer tag on the same channel: the connection is closed with 530', async () => {
    const c = await open()
    const q = uniqueName('dup')
    await declare(c, q, { exclusive: true })
    await c.call(1, 'basic.consume', { queue: q, consumerTag: 'dup' }, 'basic.consume-ok')
    c.send(1, 'basic.consume', { queue: q, consumerTag: 'dup' })
    assert.deepEqual(
      await closeOf(c),
      connectionClose(530, "NOT_ALLOWED - attempt to reuse consumer tag 'dup'", 60, 20),
    )
  })

  test('the same consumer tag on another channel is fine', async () => {
    const c = await open([1, 2])
    const q = uniqueName('dup2')
    await declare(c, q, { exclusive: true })
    await c.call(1, 'basic.consume', { queue: q, consumerTag: 'dup' }, 'basic.consume-ok')
    await c.call(2, 'basic.consume', { queue: q, consumerTag: 'dup' }, 'basic.consume-ok')
  })

  test('an exclusive consumer on a queue with a consumer, and a consumer next to an exclusive one: 403', async () => {
    const c = await open([1, 2])
    const q1 = uniqueName('ex1')
    await declare(c, q1, { exclusive: true })
    await c.call(1, 'basic.consume', { queue: q1, consumerTag: 'a' }, 'basic.consume-ok')
    c.send(1, 'basic.consume', { queue: q1, consumerTag: 'b', exclusive: true })
    assert.deepEqual(
      await closeOf(c),
      channelClose(403, `ACCESS_REFUSED - queue '${q1}' in vhost '/' in exclusive use`, 60, 20),
    )
    const q2 = uniqueName('ex2')
    await declare(c, q2, { exclusive: true }, 2)
    await c.call(2, 'basic.consume', { queue: q2, consumerTag: 'a', exclusive: true }, 'basic.consume-ok')
    c.send(2, 'basic.consume', { queue: q2, consumerTag: 'b' })
    assert.deepEqual(
      await closeOf(c),
      channelClose(403, `ACCESS_REFUSED - queue '${q2}' in vhost '/' in exclusive use`, 60, 20, 2),
    )
  })

  test('an exclusive consumer blocks consumers of other connections too', async () => {
    const c = await open()
    const q = uniqueName('ex3')
    await declare(c, q, { autoDelete: true })
    await c.call(1, 'basic.consume', { queue: q, consumerTag: 'a', exclusive: true }, 'basic.consume-ok')
    const d = await open()
    d.send(1, 'basic.consume', { queue: q, consumerTag: 'b' })
    assert.deepEqual(
      await closeOf(d),
      channelClose(403, `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`, 60, 20),
    )
  })

  test('cancelling an unknown consumer tag is cancel-ok', async () => {
    const c = await open()
    assert.deepEqual(await c.call(1, 'basic.cancel', { consumerTag: 'nope' }, 'basic.cancel-ok'), {
      consumerTag: 'nope',
    })
  })
})

describe('basic.ack / nack / reject', () => {
  /** A connection whose channel 1 holds `n` unacked messages from basic.get (tags 1..n). */
  async function withUnacked(n: number): Promise<{ c: RawClient; q: string }> {
    const c = await open()
    const q = uniqueName('acks')
    await declare(c, q, { exclusive: true })
    for (let i = 1; i <= n; i++) c.publish(1, '', q, 'm' + i)
    await c.call(1, 'basic.qos', {}, 'basic.qos-ok')
    for (let i = 1; i <= n; i++) await c.call(1, 'basic.get', { queue: q }, 'basic.get-ok')
    return { c, q }
  }

  const cases: Array<[string, string, Record<string, unknown>, string, number]> = [
    ['ack of an unknown tag', 'basic.ack', { deliveryTag: 99 }, 'unknown delivery tag 99', 80],
    ['ack of tag 0 without multiple', 'basic.ack', { deliveryTag: 0 }, 'unknown delivery tag 0', 80],
    [
      'ack multiple above the highest tag',
      'basic.ack',
      { deliveryTag: 5, multiple: true },
      'unknown delivery tag 5',
      80,
    ],
    [
      'nack of an unknown tag',
      'basic.nack',
      { deliveryTag: 7, requeue: true },
      'unknown delivery tag 7',
      120,
    ],
    [
      'reject of an unknown tag',
      'basic.reject',
      { deliveryTag: 7, requeue: true },
      'unknown delivery tag 7',
      90,
    ],
  ]
  for (const [what, method, args, text, methodId] of cases) {
    test(`${what}: 406 on the channel`, async () => {
      const { c } = await withUnacked(2)
      c.send(1, method, args)
      assert.deepEqual(await closeOf(c), channelClose(406, `PRECONDITION_FAILED - ${text}`, 60, methodId))
    })
  }

  test('acking the same tag twice: 406 unknown delivery tag 1', async () => {
    const { c } = await withUnacked(1)
    c.send(1, 'basic.ack', { deliveryTag: 1 })
    c.send(1, 'basic.ack', { deliveryTag: 1 })
    assert.deepEqual(
      await closeOf(c),
      channelClose(406, 'PRECONDITION_FAILED - unknown delivery tag 1', 60, 80),
    )
  })

  test('acking a message fetched with no-ack: 406 unknown delivery tag 1', async () => {
    const c = await open()
    const q = uniqueName('noack')
    await declare(c, q, { exclusive: true })
    await publishSync(c, '', q, 'x')
    await c.call(1, 'basic.get', { queue: q, noAck: true }, 'basic.get-ok')
    c.send(1, 'basic.ack', { deliveryTag: 1 })
    assert.deepEqual(
      await closeOf(c),
      channelClose(406, 'PRECONDITION_FAILED - unknown delivery tag 1', 60, 80),
    )
  })

  test('ack tag 0 with multiple acks everything outstanding; with nothing outstanding it is a no-op', async () => {
    const { c, q } = await withUnacked(2)
    c.send(1, 'basic.ack', { deliveryTag: 0, multiple: true })
    await c.call(1, 'basic.recover', { requeue: true }, 'basic.recover-ok')
    assert.equal((await declare(c, q, { passive: true })).messageCount, 0)
    c.send(1, 'basic.ack', { deliveryTag: 0, multiple: true })
    assert.equal((await declare(c, q, { passive: true })).queue, q)
  })
})

describe('redelivery order and flags', () => {
  async function getAll(c: RawClient, q: string, ch = 1): Promise<Array<[string, boolean]>> {
    const out: Array<[string, boolean]> = []
    for (;;) {
      c.send(ch, 'basic.get', { queue: q, noAck: true })
      const f = await c.next(
        (x) => x.channel === ch && (x.method === 'basic.get-ok' || x.method === 'basic.get-empty'),
      )
      if (!f || f.method === 'basic.get-empty') return out
      const body = await c.next((x) => x.channel === ch && x.type === 3)
      out.push([body?.payload.toString() ?? '', f.args?.['redelivered'] as boolean])
    }
  }

  test('requeued messages go back to their original place, flagged redelivered', async () => {
    const c = await open()
    const q = uniqueName('order')
    await declare(c, q, { exclusive: true })
    for (const b of ['m1', 'm2', 'm3', 'm4']) c.publish(1, '', q, b)
    await c.call(1, 'basic.qos', {}, 'basic.qos-ok')
    for (let i = 0; i < 3; i++) await c.call(1, 'basic.get', { queue: q }, 'basic.get-ok')
    c.send(1, 'basic.nack', { deliveryTag: 2, requeue: true })
    c.send(1, 'basic.reject', { deliveryTag: 1, requeue: true })
    await c.call(1, 'basic.qos', {}, 'basic.qos-ok')
    assert.deepEqual(await getAll(c, q), [
      ['m1', true],
      ['m2', true],
      ['m4', false],
    ])
  })

  test('closing a channel requeues its unacked messages in their original order', async () => {
    const c = await open([1, 2])
    const q = uniqueName('order2')
    await declare(c, q, { exclusive: true })
    for (const b of ['m1', 'm2', 'm3', 'm4']) c.publish(1, '', q, b)
    await c.call(1, 'basic.qos', {}, 'basic.qos-ok')
    for (let i = 0; i < 3; i++) await c.call(2, 'basic.get', { queue: q }, 'basic.get-ok')
    c.send(2, 'basic.ack', { deliveryTag: 2 })
    await c.call(2, 'channel.close', { replyCode: 200 }, 'channel.close-ok')
    assert.deepEqual(await getAll(c, q), [
      ['m1', true],
      ['m3', true],
      ['m4', false],
    ])
  })

  test('basic.recover requeue=true: recover-ok, then the messages again with redelivered=true and new tags', async () => {
    const c = await open()
    const q = uniqueName('recover')
    await declare(c, q, { exclusive: true })
    c.publish(1, '', q, 'a')
    await publishSync(c, '', q, 'b')
    await c.call(1, 'basic.consume', { queue: q, consumerTag: 'rc' }, 'basic.consume-ok')
    await c.expect('basic.deliver', 1)
    await c.expect('basic.deliver', 1)
    c.send(1, 'basic.recover', { requeue: true })
    const seen: string[] = []
    for (let i = 0; i < 3; i++) {
      const f = await c.next((x) => x.method === 'basic.recover-ok' || x.method === 'basic.deliver')
      seen.push(
        f?.method === 'basic.deliver'
          ? `deliver ${f.args?.['deliveryTag']} ${f.args?.['redelivered']}`
          : String(f?.method),
      )
    }
    assert.deepEqual(seen, ['basic.recover-ok', 'deliver 3 true', 'deliver 4 true'])
  })

  test('basic.get-ok message_count is the number of messages left after this one', async () => {
    const c = await open()
    const q = uniqueName('getcount')
    await declare(c, q, { exclusive: true })
    c.publish(1, '', q, 'a')
    await publishSync(c, '', q, 'b')
    assert.equal((await c.call(1, 'basic.get', { queue: q, noAck: true }, 'basic.get-ok'))['messageCount'], 1)
    assert.equal((await c.call(1, 'basic.get', { queue: q, noAck: true }, 'basic.get-ok'))['messageCount'], 0)
    await c.call(1, 'basic.get', { queue: q, noAck: true }, 'basic.get-empty')
  })

  test('basic.get on a missing queue: 404', async () => {
    const c = await open()
    const q = uniqueName('nq')
    c.send(1, 'basic.get', { queue: q })
    assert.deepEqual(await closeOf(c), channelClose(404, `NOT_FOUND - no queue '${q}' in vhost '/'`, 60, 70))
  })
})

describe('unsupported options close the connection with 540 NOT_IMPLEMENTED', () => {
  const cases: Array<[string, string, Record<string, unknown>, string, number, number]> = [
    ['basic.recover requeue=false', 'basic.recover', { requeue: false }, 'requeue=false', 60, 110],
    [
      'basic.recover-async requeue=false',
      'basic.recover-async',
      { requeue: false },
      'requeue=false',
      60,
      100,
    ],
    [
      'basic.qos prefetch_size=1000',
      'basic.qos',
      { prefetchSize: 1000, prefetchCount: 10 },
      'prefetch_size!=0 (1000)',
      60,
      10,
    ],
    ['channel.flow active=false', 'channel.flow', { active: false }, 'active=false', 20, 20],
  ]
  for (const [what, method, args, text, classId, methodId] of cases) {
    test(what, async () => {
      const c = await open()
      c.send(1, method, args)
      assert.deepEqual(await closeOf(c), connectionClose(540, `NOT_IMPLEMENTED - ${text}`, classId, methodId))
      assert.equal(await c.endsWithin(1000), true)
    })
  }

  test('channel.flow active=true is answered with flow-ok active=true; qos with prefetch_size 0 is fine', async () => {
    const c = await open()
    assert.deepEqual(await c.call(1, 'channel.flow', { active: true }, 'channel.flow-ok'), { active: true })
    await c.call(1, 'basic.qos', { prefetchCount: 10, global: true }, 'basic.qos-ok')
    await sleep(10)
  })
})
