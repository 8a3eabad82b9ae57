// Stream queues over AMQP 0-9-1 (issue #13 item 3), each expectation found by running the same scenario
// against RabbitMQ 3.10.8. Runs against the reference broker too:
//   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5676 WARREN_TEST_HTTP_URL=http://127.0.0.1:15676 \
//     node --test dist/test/integration/stream-queue.test.js
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type amqp from 'amqplib'
import {
  channel,
  confirmChannel,
  connect,
  connectionClosed,
  Inbox,
  rejection,
  sleep,
  uniqueName,
  useTarget,
} from '../helpers/target.js'

const t = useTarget()
const STREAM = { 'x-queue-type': 'stream' }

async function declareError(name: string, opts: amqp.Options.AssertQueue): Promise<string> {
  const ch = await channel(await connect(t))
  const e = await rejection(() => ch.assertQueue(name, opts))
  assert.equal(e.code, 406, e.text)
  return e.text
}

/** A stream holding `bodies`, each confirmed (so each is written before the next is published). */
async function streamWith(bodies: string[], args: Record<string, unknown> = {}): Promise<string> {
  const q = uniqueName('stream')
  const ch = await confirmChannel(await connect(t))
  await ch.assertQueue(q, { durable: true, arguments: { ...STREAM, ...args } })
  for (const b of bodies) ch.sendToQueue(q, Buffer.from(b), { headers: { n: b } })
  await ch.waitForConfirms()
  return q
}

async function publishConfirmed(q: string, bodies: string[]): Promise<void> {
  const ch = await confirmChannel(await connect(t))
  for (const b of bodies) ch.sendToQueue(q, Buffer.from(b))
  await ch.waitForConfirms()
}

/** Consumes with prefetch 100 from `offset` (omitted: the default) and acks what it gets. */
async function consumeFrom(q: string, offset?: unknown): Promise<{ ch: amqp.Channel; inbox: Inbox }> {
  const ch = await channel(await connect(t))
  await ch.prefetch(100)
  const inbox = new Inbox()
  const args = offset === undefined ? {} : { 'x-stream-offset': offset }
  await ch.consume(
    q,
    (m) => {
      inbox.onMessage(m)
      if (m) ch.ack(m)
    },
    { arguments: args },
  )
  return { ch, inbox }
}

const offsetOf = (m: amqp.ConsumeMessage): unknown => (m.properties.headers ?? {})['x-stream-offset']

test('a durable stream is declared; its properties are refused after its arguments', async () => {
  const q = uniqueName('stream')
  const ch = await channel(await connect(t))
  const ok = await ch.assertQueue(q, { durable: true, arguments: STREAM })
  assert.equal(ok.queue, q)
  const n = uniqueName('s')
  const where = `for queue '${n}' in vhost '/'`
  assert.match(
    await declareError(n, { durable: false, arguments: STREAM }),
    new RegExp(`invalid property 'non-durable' ${where}`),
  )
  assert.match(
    await declareError(n, { durable: true, exclusive: true, arguments: STREAM }),
    /invalid property 'exclusive-owner'/,
  )
  // auto-delete is named first, then exclusive, then non-durable.
  assert.match(
    await declareError(n, { durable: false, exclusive: true, autoDelete: true, arguments: STREAM }),
    /invalid property 'auto-delete'/,
  )
  // An argument the type refuses comes before any property.
  assert.match(
    await declareError(n, { durable: false, arguments: { ...STREAM, 'x-max-priority': 5 } }),
    /invalid arg 'x-max-priority' .* of queue type rabbit_stream_queue/,
  )
  assert.match(
    await declareError(n, { durable: false, arguments: { ...STREAM, 'x-max-length-bytes': -1 } }),
    /invalid arg 'x-max-length-bytes' .*: \{value_negative,-1\}/,
  )
  assert.match(
    await declareError('', { durable: true, arguments: STREAM }),
    /PRECONDITION_FAILED - Cannot declare a server-named queue for type rabbit_stream_queue$/,
  )
})

test('the arguments of other queue types are refused on a stream', async () => {
  const refused: Record<string, unknown> = {
    'x-max-priority': 5,
    'x-overflow': 'reject-publish',
    'x-dead-letter-exchange': 'x',
    'x-dead-letter-routing-key': 'x',
    'x-message-ttl': 1000,
    'x-expires': 1000,
    'x-max-length': 10,
    'x-single-active-consumer': true,
    'x-delivery-limit': 3,
    'x-queue-mode': 'lazy',
    'x-queue-master-locator': 'min-masters',
    'x-quorum-initial-group-size': 1,
    'x-dead-letter-strategy': 'at-most-once',
    'x-max-in-memory-length': 5,
  }
  for (const [key, value] of Object.entries(refused)) {
    const n = uniqueName('s')
    const text = await declareError(n, { durable: true, arguments: { ...STREAM, [key]: value } })
    assert.equal(
      text,
      `PRECONDITION_FAILED - invalid arg '${key}' for queue '${n}' in vhost '/' of queue type rabbit_stream_queue`,
    )
  }
})

test('stream arguments are checked: x-max-age, x-max-length-bytes, segment size, locator', async () => {
  const bad: Array<[string, unknown, string]> = [
    ['x-max-age', '7X', 'invalid_max_age'],
    ['x-max-age', '0s', 'invalid_max_age'],
    ['x-max-age', '10ms', 'invalid_max_age'],
    ['x-max-age', 7, '{unacceptable_type,byte}'],
    ['x-max-length-bytes', 'a', '"expected integer, got longstr"'],
    ['x-stream-max-segment-size-bytes', 'a', '"expected integer, got longstr"'],
    ['x-stream-max-segment-size-bytes', -5, '{value_negative,-5}'],
    ['x-initial-cluster-size', 0, '{value_zero,0}'],
    ['x-queue-leader-locator', 'foo', 'invalid_queue_locator_arg'],
  ]
  for (const [key, value, problem] of bad) {
    const n = uniqueName('s')
    const text = await declareError(n, { durable: true, arguments: { ...STREAM, [key]: value } })
    assert.equal(text, `PRECONDITION_FAILED - invalid arg '${key}' for queue '${n}' in vhost '/': ${problem}`)
  }
  const good: Array<[string, unknown]> = [
    ['x-max-age', '7D'],
    ['x-max-age', '12h'],
    ['x-max-age', '1Y'],
    ['x-max-age', '1M'],
    ['x-max-age', '1m'],
    ['x-max-age', '10s'],
    ['x-max-length-bytes', 1_000_000],
    ['x-stream-max-segment-size-bytes', 0],
    ['x-initial-cluster-size', 1],
    ['x-queue-leader-locator', 'balanced'],
    ['x-queue-leader-locator', 'client-local'],
    ['x-foo', 1], // unknown arguments are ignored, as on every queue type
  ]
  const ch = await channel(await connect(t))
  for (const [key, value] of good) {
    const n = uniqueName('s')
    await ch.assertQueue(n, { durable: true, arguments: { ...STREAM, [key]: value } })
    await ch.deleteQueue(n)
  }
})

test('a redeclare must repeat the stream arguments, compared before the type', async () => {
  const q = uniqueName('stream')
  const args = { ...STREAM, 'x-max-length-bytes': 1_000_000, 'x-max-age': '7D' }
  const ch = await channel(await connect(t))
  await ch.assertQueue(q, { durable: true, arguments: args })
  await ch.assertQueue(q, { durable: true, arguments: args })
  const where = `for queue '${q}' in vhost '/'`
  assert.equal(
    await declareError(q, { durable: true, arguments: { ...args, 'x-max-length-bytes': 2_000_000 } }),
    `PRECONDITION_FAILED - inequivalent arg 'x-max-length-bytes' ${where}: received '2000000' but current is '1000000'`,
  )
  assert.equal(
    await declareError(q, { durable: true, arguments: {} }),
    `PRECONDITION_FAILED - inequivalent arg 'x-max-length-bytes' ${where}: received none but current is the value '1000000' of type 'signedint'`,
  )
  assert.equal(
    await declareError(q, { durable: true, arguments: { ...args, 'x-max-age': '8D' } }),
    `PRECONDITION_FAILED - inequivalent arg 'x-max-age' ${where}: received '8D' but current is '7D'`,
  )
  assert.equal(
    await declareError(q, { durable: true, arguments: { ...args, 'x-queue-type': 'classic' } }),
    `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' ${where}: received 'classic' but current is 'stream'`,
  )
  assert.equal(
    await declareError(q, { durable: false, arguments: args }),
    `PRECONDITION_FAILED - inequivalent arg 'durable' ${where}: received 'false' but current is 'true'`,
  )
  const bare = uniqueName('stream')
  await ch.assertQueue(bare, { durable: true, arguments: STREAM })
  assert.equal(
    await declareError(bare, { durable: true }),
    `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '${bare}' in vhost '/': received none but current is the value 'stream' of type 'longstr'`,
  )
})

test('consumers need a prefetch (406), manual acks (540) and no x-priority (406)', async () => {
  const q = await streamWith([])
  const where = `queue '${q}' in vhost '/'`
  const noPrefetch = await channel(await connect(t))
  const e1 = await rejection(() => noPrefetch.consume(q, () => {}))
  assert.deepEqual(e1, {
    code: 406,
    text: `PRECONDITION_FAILED - consumer prefetch count is not set for '${where}'`,
  })
  // A channel-wide (global) prefetch does not count.
  const global = await channel(await connect(t))
  await global.prefetch(10, true)
  assert.equal((await rejection(() => global.consume(q, () => {}))).code, 406)
  // Without a prefetch, no-ack is refused for the prefetch first.
  const both = await channel(await connect(t))
  assert.equal((await rejection(() => both.consume(q, () => {}, { noAck: true }))).code, 406)
  const conn = await connect(t)
  const closed = connectionClosed(conn)
  const noAck = await channel(conn)
  await noAck.prefetch(10)
  noAck.consume(q, () => {}, { noAck: true }).catch(() => {})
  assert.deepEqual(await closed, {
    code: 540,
    text: `NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues ${where}`,
  })
  const prio = await channel(await connect(t))
  await prio.prefetch(10)
  assert.deepEqual(await rejection(() => prio.consume(q, () => {}, { priority: 3 })), {
    code: 406,
    text: `PRECONDITION_FAILED - invalid arg 'x-priority' for ${where} of queue type rabbit_stream_queue`,
  })
})

test('basic.get, queue.purge, basic.nack and basic.reject close the connection with 540', async () => {
  const q = await streamWith(['a', 'b'])
  const where = `queue '${q}' in vhost '/'`
  const refusedBy = async (op: (ch: amqp.Channel) => unknown): Promise<unknown> => {
    const conn = await connect(t)
    const closed = connectionClosed(conn)
    const ch = await channel(conn)
    await ch.prefetch(10)
    Promise.resolve(op(ch)).catch(() => {})
    return closed
  }
  for (const noAck of [false, true]) {
    assert.deepEqual(await refusedBy((ch) => ch.get(q, { noAck })), {
      code: 540,
      text: `NOT_IMPLEMENTED - basic.get not supported by stream queues ${where}`,
    })
  }
  assert.deepEqual(await refusedBy((ch) => ch.purgeQueue(q)), {
    code: 540,
    text: `NOT_IMPLEMENTED - queue.purge not supported by stream queues ${where}`,
  })
  const settle: Array<(ch: amqp.Channel, m: amqp.ConsumeMessage) => void> = [
    (ch, m) => ch.nack(m, false, true),
    (ch, m) => ch.nack(m, false, false),
    (ch, m) => ch.reject(m, true),
    (ch, m) => ch.reject(m, false),
  ]
  for (const how of settle) {
    const closed = await refusedBy((ch) =>
      ch.consume(q, (m) => m && how(ch, m), { arguments: { 'x-stream-offset': 'first' } }),
    )
    assert.deepEqual(closed, {
      code: 540,
      text: `NOT_IMPLEMENTED - basic.nack and basic.reject not supported by stream queues ${where}`,
    })
  }
})

test('x-stream-offset first, next (the default), last and numeric offsets; the offset in every delivery', async () => {
  const q = await streamWith(['m0', 'm1', 'm2', 'm3', 'm4'])
  const first = await consumeFrom(q, 'first')
  const got = await first.inbox.count(5)
  assert.deepEqual(
    got.map((m) => m.content.toString()),
    ['m0', 'm1', 'm2', 'm3', 'm4'],
  )
  assert.deepEqual(got.map(offsetOf), [0, 1, 2, 3, 4])
  assert.deepEqual(
    got.map((m) => m.properties.headers?.['n']),
    ['m0', 'm1', 'm2', 'm3', 'm4'],
  )
  assert.deepEqual(
    got.map((m) => m.fields.redelivered),
    [false, false, false, false, false],
  )
  assert.deepEqual(
    got.map((m) => m.fields.deliveryTag),
    [1, 2, 3, 4, 5],
  )
  const byDefault = await consumeFrom(q)
  const next = await consumeFrom(q, 'next')
  // Past the end, a consumer waits for its offset to be written.
  const beyond = await consumeFrom(q, 6)
  await sleep(100)
  await publishConfirmed(q, ['new'])
  for (const c of [byDefault, next]) {
    const [m] = await c.inbox.count(1)
    assert.equal(m?.content.toString(), 'new')
    assert.equal(offsetOf(m as amqp.ConsumeMessage), 5)
  }
  // 'last' attaches at the first message of the last chunk: 'new', written on its own.
  const last = await consumeFrom(q, 'last')
  assert.deepEqual((await last.inbox.count(1)).map(offsetOf), [5])
  const three = await consumeFrom(q, 3)
  assert.deepEqual((await three.inbox.count(3)).map(offsetOf), [3, 4, 5])
  const negative = await consumeFrom(q, -2)
  assert.deepEqual((await negative.inbox.count(6)).map(offsetOf), [0, 1, 2, 3, 4, 5])
  assert.equal(beyond.inbox.messages.length, 0)
  await publishConfirmed(q, ['newer'])
  assert.deepEqual((await beyond.inbox.count(1)).map(offsetOf), [6])
  await sleep(100)
  const counts = [first, byDefault, next, beyond, last, three, negative].map((c) => c.inbox.messages.length)
  assert.deepEqual(counts, [7, 2, 2, 1, 2, 4, 7])
})

test('x-stream-offset as a timestamp or an interval attaches at the first chunk written since', async () => {
  const q = await streamWith(['a', 'b'])
  const hourAgo = { '!': 'timestamp', value: Math.floor(Date.now() / 1000) - 3600 }
  const inAnHour = { '!': 'timestamp', value: Math.floor(Date.now() / 1000) + 3600 }
  const past = await consumeFrom(q, hourAgo)
  const interval = await consumeFrom(q, '1h')
  const future = await consumeFrom(q, inAnHour)
  assert.deepEqual(
    (await past.inbox.count(2)).map((m) => m.content.toString()),
    ['a', 'b'],
  )
  assert.deepEqual(
    (await interval.inbox.count(2)).map((m) => m.content.toString()),
    ['a', 'b'],
  )
  await publishConfirmed(q, ['c'])
  assert.deepEqual(
    (await future.inbox.count(1)).map((m) => m.content.toString()),
    ['c'],
  )
  assert.equal(future.inbox.messages.length, 1)
})

test('acks free prefetch and remove nothing: every consumer reads the whole stream', async () => {
  const bodies = Array.from({ length: 30 }, (_, i) => `m${i}`)
  const q = await streamWith(bodies)
  const ch = await channel(await connect(t))
  await ch.prefetch(2)
  const inbox = new Inbox()
  await ch.consume(
    q,
    (m) => {
      inbox.onMessage(m)
      if (m) setTimeout(() => ch.ack(m), 1)
    },
    { arguments: { 'x-stream-offset': 'first' } },
  )
  assert.deepEqual(
    (await inbox.count(30)).map((m) => m.content.toString()),
    bodies,
  )
  const again = await consumeFrom(q, 'first')
  assert.deepEqual(
    (await again.inbox.count(30)).map((m) => m.content.toString()),
    bodies,
  )
  const passive = await ch.checkQueue(q)
  assert.ok(passive.messageCount === 30 || t.external, `${passive.messageCount} messages`) // RabbitMQ's count lags
})

test(
  'a consumer without acks gets no more than its prefetch until it acks (Warren)',
  { skip: t.external },
  async () => {
    // RabbitMQ hands out whole chunks whatever the prefetch; Warren counts messages.
    const q = await streamWith(['a', 'b', 'c', 'd'])
    const ch = await channel(await connect(t))
    await ch.prefetch(2)
    const inbox = new Inbox()
    await ch.consume(q, inbox.onMessage, { arguments: { 'x-stream-offset': 'first' } })
    await inbox.count(2)
    await sleep(100)
    assert.equal(inbox.messages.length, 2)
    ch.ack(inbox.messages[1] as amqp.ConsumeMessage, true)
    assert.deepEqual(
      (await inbox.count(4)).map((m) => m.content.toString()),
      ['a', 'b', 'c', 'd'],
    )
  },
)

test('delete ignores if-unused and if-empty on a stream', async () => {
  const q = await streamWith(['a'])
  const { ch } = await consumeFrom(q, 'first')
  await ch.deleteQueue(q, { ifUnused: true, ifEmpty: true })
  const other = await channel(await connect(t))
  assert.equal((await rejection(() => other.checkQueue(q))).code, 404)
})

test('the management API shows a stream: type, durable, arguments, messages', async () => {
  const http = t.external ? process.env['WARREN_TEST_HTTP_URL'] : t.broker.httpUrl
  if (!http) return
  const q = await streamWith(['a', 'b', 'c'], { 'x-max-age': '1D' })
  const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` }
  let body: Record<string, unknown> = {}
  // RabbitMQ fills its members in with its next stats emission, a few seconds after the messages.
  const settled = (): boolean => body['messages'] === 3 && body['members'] !== undefined
  for (let i = 0; i < 400 && !settled(); i++) {
    const res = await fetch(new URL(`api/queues/%2F/${encodeURIComponent(q)}`, ensureSlash(http)), {
      headers: auth,
    })
    body = (await res.json()) as Record<string, unknown>
    if (!settled()) await sleep(50)
  }
  assert.equal(body['type'], 'stream')
  assert.equal(body['durable'], true)
  assert.equal(body['auto_delete'], false)
  assert.equal(body['messages'], 3)
  assert.equal(body['messages_ready'], 3)
  assert.equal(body['messages_unacknowledged'], 0)
  assert.deepEqual(body['arguments'], { 'x-max-age': '1D', 'x-queue-type': 'stream' })
  // Its replicas, as RabbitMQ 3.10 lists them (one node; no leader field for a stream).
  assert.deepEqual(body['online'], body['members'])
  assert.equal((body['members'] as string[]).length, 1)
  assert.equal(body['node'], (body['members'] as string[])[0])
  // Getting or purging through the API is a 400 with the AMQP refusal's text (RabbitMQ puts "540 "
  // before the get's, from the internal channel it uses).
  const where = `queue '${q}' in vhost '/'`
  const queueUrl = new URL(`api/queues/%2F/${encodeURIComponent(q)}/`, ensureSlash(http))
  const get = await fetch(new URL('get', queueUrl), {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' }),
  })
  assert.equal(get.status, 400)
  assert.match(
    ((await get.json()) as { reason: string }).reason,
    new RegExp(`basic.get not supported by stream queues ${where}$`),
  )
  const purge = await fetch(new URL('contents', queueUrl), { method: 'DELETE', headers: auth })
  assert.equal(purge.status, 400)
  assert.deepEqual(await purge.json(), {
    error: 'bad_request',
    reason: `queue.purge not supported by stream queues ${where}`,
  })
})

function ensureSlash(u: string): string {
  return u.endsWith('/') ? u : `${u}/`
}

test('x-max-length-bytes with small segments drops the oldest segments: first moves on', async () => {
  const q = uniqueName('stream')
  const ch = await confirmChannel(await connect(t))
  const args = { ...STREAM, 'x-max-length-bytes': 3000, 'x-stream-max-segment-size-bytes': 1000 }
  await ch.assertQueue(q, { durable: true, arguments: args })
  for (let i = 0; i < 60; i++) {
    ch.sendToQueue(q, Buffer.from(`m${i}`.padEnd(200, '.')))
    await ch.waitForConfirms() // one chunk each
  }
  let firstOffset = 0
  for (let attempt = 0; attempt < 50 && firstOffset === 0; attempt++) {
    const c = await consumeFrom(q, 'first')
    const [m] = await c.inbox.count(1)
    firstOffset = Number(offsetOf(m as amqp.ConsumeMessage))
    await c.ch.close()
    if (firstOffset === 0) await sleep(100) // RabbitMQ applies retention in the background
  }
  assert.ok(firstOffset > 30, `the stream starts at ${firstOffset}`)
  // RabbitMQ's offsets skip one at each new segment (osiris starts it with a chunk of its own, 78 here);
  // Warren's run on without gaps.
  const last = await consumeFrom(q, 'last')
  const m = (await last.inbox.count(1))[0] as amqp.ConsumeMessage
  assert.equal(m.content.toString().replace(/\.+$/, ''), 'm59')
  assert.ok(t.external || offsetOf(m) === 59, `offset ${String(offsetOf(m))}`)
})
