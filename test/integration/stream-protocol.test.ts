// The Stream protocol front end (port 5552) with the real npm client rabbitmq-stream-js-client over TCP:
// publish with confirms, consume from every offset specification, server-side offset tracking, publisher
// deduplication across reconnects, super streams, single active consumer, stream stats, metadata
// updates, refused logins and permissions, and AMQP 0-9-1 clients on the same streams.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import rabbit from 'rabbitmq-stream-js-client'
import { CompressionType } from 'rabbitmq-stream-js-client/dist/compression.js'
import amqp from 'amqplib'
import { eventually, useBroker } from '../helpers/broker.js'
import { RawStreamClient, str, u32 } from '../helpers/stream-raw.js'

const b = useBroker()
let n = 0
const unique = (p: string): string => `${p}-${process.pid}-${++n}`

type Client = Awaited<ReturnType<typeof rabbit.connect>>
type Received = Parameters<Parameters<Client['declareConsumer']>[1]>[0]

async function client(user = 'guest', password = 'guest', vhost = '/'): Promise<Client> {
  const port = b.broker.streamPort
  assert.ok(port !== undefined)
  return rabbit.connect({ hostname: '127.0.0.1', port, username: user, password, vhost })
}

async function withClient<T>(f: (c: Client) => Promise<T>): Promise<T> {
  const c = await client()
  try {
    return await f(c)
  } finally {
    await c.close()
  }
}

/** Publishes bodies through a publisher and waits until the server confirmed every one. */
async function publishConfirmed(
  c: Client,
  stream: string,
  bodies: string[],
  ref?: string,
): Promise<bigint[]> {
  const pub = await c.declarePublisher(ref ? { stream, publisherRef: ref } : { stream })
  const confirmed: bigint[] = []
  pub.on('publish_confirm', (err, ids) => {
    assert.equal(err, null)
    confirmed.push(...ids)
  })
  for (const body of bodies) await pub.send(Buffer.from(body))
  await pub.flush()
  await eventually(() => confirmed.length >= bodies.length, 5000)
  await pub.close()
  return confirmed
}

async function consumeBodies(
  c: Client,
  stream: string,
  offset: rabbit.Offset,
  count: number,
): Promise<Received[]> {
  const got: Received[] = []
  const consumer = await c.declareConsumer({ stream, offset }, (m) => {
    got.push(m)
  })
  await eventually(() => got.length >= count, 5000)
  await new Promise((r) => setTimeout(r, 50))
  await consumer.close()
  return got
}

const bodies = (ms: Received[]): string[] => ms.map((m) => m.content.toString())

test('stream protocol: create, publish with confirms, consume from first, offset, last and next', async () => {
  await withClient(async (c) => {
    const s = unique('events')
    await c.createStream({ stream: s, arguments: {} })
    const ids = await publishConfirmed(c, s, ['a', 'b', 'c', 'd'])
    assert.deepEqual(
      ids.map(Number).sort((x, y) => x - y),
      [1, 2, 3, 4],
    )
    const first = await consumeBodies(c, s, rabbit.Offset.first(), 4)
    assert.deepEqual(bodies(first), ['a', 'b', 'c', 'd'])
    assert.deepEqual(
      first.map((m) => m.offset),
      [0n, 1n, 2n, 3n],
    )
    const fromTwo = await consumeBodies(c, s, rabbit.Offset.offset(2n), 2)
    assert.deepEqual(bodies(fromTwo).slice(0, 2), ['c', 'd'])

    const got: Received[] = []
    const next = await c.declareConsumer({ stream: s, offset: rabbit.Offset.next() }, (m) => {
      got.push(m)
    })
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(got.length, 0)
    await publishConfirmed(c, s, ['e'])
    await eventually(() => got.length === 1, 5000)
    assert.equal(got[0]?.content.toString(), 'e')
    assert.equal(got[0]?.offset, 4n)
    await next.close()
  })
})

test('stream protocol: consume from a timestamp starts at the first chunk written at or after it', async () => {
  await withClient(async (c) => {
    const s = unique('ts')
    await c.createStream({ stream: s, arguments: {} })
    await publishConfirmed(c, s, ['old1', 'old2'])
    await new Promise((r) => setTimeout(r, 30))
    const since = new Date()
    await new Promise((r) => setTimeout(r, 30))
    await publishConfirmed(c, s, ['new1', 'new2'])
    const got = await consumeBodies(c, s, rabbit.Offset.timestamp(since), 2)
    assert.deepEqual(bodies(got), ['new1', 'new2'])
  })
})

test('stream protocol: message properties and application properties survive the stream', async () => {
  await withClient(async (c) => {
    const s = unique('props')
    await c.createStream({ stream: s, arguments: {} })
    const pub = await c.declarePublisher({ stream: s })
    await pub.send(Buffer.from('x'), {
      messageProperties: { messageId: 'm-1', correlationId: 'c-1', contentType: 'text/plain', replyTo: 'r' },
      applicationProperties: { colour: 'red', size: 7 },
    })
    await pub.flush()
    const [m] = await consumeBodies(c, s, rabbit.Offset.first(), 1)
    assert.equal(m?.messageProperties?.messageId, 'm-1')
    assert.equal(m?.messageProperties?.correlationId, 'c-1')
    assert.equal(m?.messageProperties?.contentType, 'text/plain')
    assert.equal(m?.messageProperties?.replyTo, 'r')
    assert.deepEqual(m?.applicationProperties, { colour: 'red', size: 7 })
  })
})

test('stream protocol: sub-entry batches, plain and gzipped, are stored as their messages', async () => {
  await withClient(async (c) => {
    const s = unique('batch')
    await c.createStream({ stream: s, arguments: {} })
    const pub = await c.declarePublisher({ stream: s })
    const batch = (tag: string): Array<{ content: Buffer }> =>
      ['1', '2', '3'].map((n) => ({ content: Buffer.from(`${tag}${n}`) }))
    await pub.sendSubEntries(batch('plain'))
    await pub.sendSubEntries(batch('gz'), CompressionType.Gzip)
    const got = await consumeBodies(c, s, rabbit.Offset.first(), 6)
    assert.deepEqual(bodies(got), ['plain1', 'plain2', 'plain3', 'gz1', 'gz2', 'gz3'])
  })
})

test('stream protocol: offsets stored on the server under a reference are queried back', async () => {
  await withClient(async (c) => {
    const s = unique('tracking')
    await c.createStream({ stream: s, arguments: {} })
    await publishConfirmed(c, s, ['1', '2', '3'])
    await assert.rejects(c.queryOffset({ reference: 'app', stream: s }))
    const consumer = await c.declareConsumer(
      { stream: s, offset: rabbit.Offset.first(), consumerRef: 'app' },
      () => undefined,
    )
    await consumer.storeOffset(2n)
    await eventually(() => true)
    let stored: bigint | undefined
    const deadline = Date.now() + 2000
    while (stored !== 2n && Date.now() < deadline) {
      stored = await c.queryOffset({ reference: 'app', stream: s }).catch(() => undefined)
    }
    assert.equal(stored, 2n)
    await consumer.close()
  })
  // Another connection sees it: the offset lives on the server.
  await withClient(async (c) => {
    const streams = [...b.broker.broker.vhost('/').queues.keys()].filter((q) => q.startsWith('tracking-'))
    assert.equal(await c.queryOffset({ reference: 'app', stream: streams[0] as string }), 2n)
  })
})

test('stream protocol: a named publisher is deduplicated by publishing id across reconnects', async () => {
  const s = unique('dedup')
  await withClient(async (c) => {
    await c.createStream({ stream: s, arguments: {} })
    const pub = await c.declarePublisher({ stream: s, publisherRef: 'orders' })
    for (let id = 1n; id <= 5n; id++) await pub.basicSend(id, Buffer.from(`m${id}`))
    await pub.flush()
    await eventually(() => b.broker.broker.vhost('/').queues.get(s)?.messageCount === 5, 5000)
  })
  await withClient(async (c) => {
    const pub = await c.declarePublisher({ stream: s, publisherRef: 'orders' })
    assert.equal(await pub.getLastPublishingId(), 5n)
    const confirmed: bigint[] = []
    pub.on('publish_confirm', (_err, ids) => confirmed.push(...ids))
    // A publisher that resends from 3 after a reconnect: 3..5 are duplicates, confirmed but not written.
    for (let id = 3n; id <= 7n; id++) await pub.basicSend(id, Buffer.from(`m${id}`))
    await pub.flush()
    await eventually(() => confirmed.length === 5, 5000)
    assert.deepEqual(
      confirmed.map(Number).sort((x, y) => x - y),
      [3, 4, 5, 6, 7],
    )
    const got = await consumeBodies(c, s, rabbit.Offset.first(), 7)
    assert.deepEqual(bodies(got), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'])
    assert.equal(await pub.getLastPublishingId(), 7n)
  })
})

test('stream protocol: an AMQP 0-9-1 publish is read by a stream client, and the other way round', async () => {
  const s = unique('cross')
  const conn = await amqp.connect(b.url)
  try {
    const ch = await conn.createConfirmChannel()
    await ch.assertQueue(s, { durable: true, arguments: { 'x-queue-type': 'stream' } })
    ch.sendToQueue(s, Buffer.from('from-091'), {
      messageId: 'amqp-1',
      contentType: 'application/json',
      deliveryMode: 2,
      priority: 5,
      headers: { tenant: 'acme', n: 42 },
      timestamp: 1_700_000_000,
    })
    await ch.waitForConfirms()
    await withClient(async (c) => {
      const [m] = await consumeBodies(c, s, rabbit.Offset.first(), 1)
      assert.equal(m?.content.toString(), 'from-091')
      assert.equal(m?.messageProperties?.messageId, 'amqp-1')
      assert.equal(m?.messageProperties?.contentType, 'application/json')
      assert.equal(m?.messageProperties?.creationTime?.getTime(), 1_700_000_000_000)
      assert.deepEqual(m?.applicationProperties, { tenant: 'acme', n: 42 })
      // As RabbitMQ 3.10.8 maps them: routing key and delivery mode as annotations.
      assert.equal(m?.messageAnnotations?.['x-routing-key'], s)
      assert.equal(m?.messageAnnotations?.['x-basic-delivery-mode'], 2)
      // And as RabbitMQ 3.13+ does (the stream client's own suite checks it): a header section.
      assert.equal(m?.messageHeader?.durable, true)
      assert.equal(m?.messageHeader?.priority, 5)
      const pub = await c.declarePublisher({ stream: s })
      await pub.send(Buffer.from('from-stream'), {
        messageProperties: { messageId: 'stream-1', correlationId: 'corr' },
        applicationProperties: { tenant: 'globex' },
      })
      await pub.flush()
    })
    await ch.prefetch(10)
    const got: amqp.ConsumeMessage[] = []
    await ch.consume(s, (m) => m && got.push(m), { arguments: { 'x-stream-offset': 'first' } })
    await eventually(() => got.length === 2, 5000)
    const m = got[1] as amqp.ConsumeMessage
    assert.equal(m.content.toString(), 'from-stream')
    assert.equal(m.properties.messageId, 'stream-1')
    assert.equal(m.properties.correlationId, 'corr')
    assert.equal(m.properties.headers?.['tenant'], 'globex')
    assert.equal(m.properties.headers?.['x-stream-offset'], 1)
  } finally {
    await conn.close()
  }
})

test('stream protocol: super streams route by key to partitions named <name>-<key>', async () => {
  await withClient(async (c) => {
    const name = unique('orders')
    await c.createSuperStream({ streamName: name }, ['eu', 'us', 'apac'])
    assert.deepEqual(await c.partitionsQuery({ superStream: name }), [
      `${name}-eu`,
      `${name}-us`,
      `${name}-apac`,
    ])
    assert.deepEqual(await c.routeQuery({ superStream: name, routingKey: 'us' }), [`${name}-us`])
    const pub = await c.declareSuperStreamPublisher(
      { superStream: name, routingStrategy: 'key' },
      (_content, opts) => String(opts.applicationProperties?.['region']),
    )
    await pub.send(Buffer.from('to-us'), { applicationProperties: { region: 'us' } })
    await pub.send(Buffer.from('to-eu'), { applicationProperties: { region: 'eu' } })
    await pub.close()
    const us = await consumeBodies(c, `${name}-us`, rabbit.Offset.first(), 1)
    assert.deepEqual(bodies(us), ['to-us'])
    const vhost = b.broker.broker.vhost('/')
    await eventually(() => vhost.queues.get(`${name}-eu`)?.messageCount === 1, 5000)
    assert.equal(vhost.queues.get(`${name}-apac`)?.messageCount, 0)
    await c.deleteSuperStream({ streamName: name })
    assert.equal(vhost.exchanges.has(name), false)
    assert.equal(vhost.queues.has(`${name}-us`), false)
  })
})

test('stream protocol: single active consumer: one of a group reads; the next takes over when it goes', async () => {
  const s = unique('sac')
  await withClient(async (c) => {
    await c.createStream({ stream: s, arguments: {} })
    await publishConfirmed(c, s, ['1', '2'])
  })
  const a: string[] = []
  const z: string[] = []
  const params = { stream: s, offset: rabbit.Offset.first(), singleActive: true, consumerRef: 'group' }
  // Two connections: the client closes a consumer's connection with it.
  const ca = await client()
  const cz = await client()
  try {
    await ca.declareConsumer(params, (m) => {
      a.push(m.content.toString())
    })
    const second = await cz.declareConsumer(params, (m) => {
      z.push(m.content.toString())
    })
    await eventually(() => a.length === 2, 5000)
    await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(z, [])
    await ca.close()
    // The new active consumer is asked where to start (consumer update) and answers with its offset.
    await eventually(() => z.length === 2, 5000)
    assert.deepEqual(z, ['1', '2'])
    await second.close()
  } finally {
    await cz.close().catch(() => undefined)
  }
})

test('stream protocol: super stream consumers of one name share the partitions (partition index mod group size)', async () => {
  const name = unique('shared')
  await withClient((c) => c.createSuperStream({ streamName: name }, ['a', 'b']))
  const one = await client()
  const two = await client()
  try {
    const got1: string[] = []
    const got2: string[] = []
    const params = { superStream: name, offset: rabbit.Offset.first(), consumerRef: 'workers' }
    await one.declareSuperStreamConsumer(params, (m) => {
      got1.push(m.content.toString())
    })
    await two.declareSuperStreamConsumer(params, (m) => {
      got2.push(m.content.toString())
    })
    await new Promise((r) => setTimeout(r, 300)) // the first steps down on partition b, the second takes it
    await withClient(async (c) => {
      await publishConfirmed(c, `${name}-a`, ['a1', 'a2'])
      await publishConfirmed(c, `${name}-b`, ['b1', 'b2'])
    })
    await eventually(() => got1.length + got2.length === 4, 5000)
    await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(got1, ['a1', 'a2'])
    assert.deepEqual(got2, ['b1', 'b2'])
  } finally {
    await one.close()
    await two.close()
  }
})

test('stream protocol: stream stats, metadata of a missing stream, create of an existing one', async () => {
  await withClient(async (c) => {
    const s = unique('stats')
    await c.createStream({ stream: s, arguments: {} })
    await publishConfirmed(c, s, ['1', '2', '3'])
    const stats = await c.streamStatsRequest(s)
    assert.equal(stats.firstChunkId, 0n)
    assert.ok(stats.committedChunkId >= 0n && stats.committedChunkId <= 2n)
    const [missing] = await c.queryMetadata({ streams: [unique('nope')] })
    assert.equal(missing?.responseCode, 2)
    const [found] = await c.queryMetadata({ streams: [s] })
    assert.equal(found?.responseCode, 1)
    assert.equal(found?.leader?.port, b.broker.streamPort)
    assert.equal(await c.createStream({ stream: s, arguments: {} }), true) // "already exists" is fine
    await assert.rejects(c.declarePublisher({ stream: unique('nope') }))
  })
})

test('stream protocol: deleting a stream tells its consumers (metadata update)', async () => {
  await withClient(async (c) => {
    const s = unique('gone')
    await c.createStream({ stream: s, arguments: {} })
    const updates: string[] = []
    const other = await rabbit.connect({
      hostname: '127.0.0.1',
      port: b.broker.streamPort as number,
      username: 'guest',
      password: 'guest',
      vhost: '/',
      listeners: { metadata_update: (u) => updates.push(`${u.metadataInfo.code}:${u.metadataInfo.stream}`) },
    })
    await other.declareConsumer({ stream: s, offset: rabbit.Offset.first() }, () => undefined)
    await c.deleteStream({ stream: s })
    await eventually(() => updates.length > 0, 5000)
    assert.equal(updates[0], `6:${s}`)
    assert.equal(b.broker.broker.vhost('/').queues.has(s), false)
    await other.close().catch(() => undefined)
  })
})

test('stream protocol: a wrong password is refused (code 8) and the socket closed; so is a refused vhost (12)', async () => {
  const port = b.broker.streamPort as number
  const wrong = await RawStreamClient.open(port)
  assert.equal(await wrong.login('guest', 'wrong'), 0x08)
  await wrong.closedByServer()
  b.broker.users.addUser('nobody', 'pw') // no permission on any vhost
  const refused = await RawStreamClient.open(port)
  assert.equal(await refused.login('nobody', 'pw'), 0x01)
  assert.equal(await refused.openVhost('/'), 0x0c)
  await refused.closedByServer()
  const missing = await RawStreamClient.open(port)
  assert.equal(await missing.login('guest', 'guest'), 0x01)
  assert.equal(await missing.openVhost('no-such-vhost'), 0x0c)
  missing.destroy()
})

test('stream protocol: permissions: no write permission refuses the publisher, no configure the create', async () => {
  const users = b.broker.users
  users.addUser('reader', 'pw')
  users.setPermission('reader', '/', { configure: '^$', write: '^$', read: '.*' })
  const s = unique('perm')
  await withClient((c) => c.createStream({ stream: s, arguments: {} }))
  const c = await client('reader', 'pw')
  try {
    await assert.rejects(c.createStream({ stream: unique('perm'), arguments: {} }), /16/)
    await assert.rejects(c.declarePublisher({ stream: s }))
    await consumeBodies(c, s, rabbit.Offset.first(), 0)
  } finally {
    await c.close()
  }
})

test('stream protocol: heartbeats are sent at the interval the client tuned', async () => {
  const raw = await RawStreamClient.open(b.broker.streamPort as number)
  try {
    assert.equal(await raw.login('guest', 'guest', 1), 0x01)
    assert.equal(await raw.openVhost('/'), 0x01)
    const f = await raw.next(3500)
    assert.equal(f?.key, 0x17)
  } finally {
    raw.destroy()
  }
})

test('stream protocol: a command before the handshake and an unknown key close that connection with a reason', async () => {
  const port = b.broker.streamPort as number
  const early = await RawStreamClient.open(port)
  early.send(0x0f, Buffer.concat([u32(1), u32(1), str('s')])) // metadata before peer properties
  const close = await early.next()
  assert.equal(close?.key, 0x16)
  assert.equal(close?.body.readUInt16BE(4), 0x0d)
  await early.closedByServer()
  const unknown = await RawStreamClient.open(port)
  assert.equal(await unknown.login('guest', 'guest'), 0x01)
  assert.equal(await unknown.openVhost('/'), 0x01)
  unknown.send(0x7777, u32(9))
  const f = await unknown.next()
  assert.equal(f?.key, 0x16)
  assert.match(f?.body.subarray(8).toString() ?? '', /unknown command key 0x7777/)
  await unknown.closedByServer()
})

test('stream protocol: random bytes close only their own connection; the others go on (fuzz)', async () => {
  const port = b.broker.streamPort as number
  await withClient(async (c) => {
    const s = unique('fuzz')
    await c.createStream({ stream: s, arguments: {} })
    let seed = 12345
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed
    }
    for (let round = 0; round < 40; round++) {
      const raw = await RawStreamClient.open(port)
      if (round % 2 === 1) {
        assert.equal(await raw.login('guest', 'guest'), 0x01)
        assert.equal(await raw.openVhost('/'), 0x01)
      }
      // A frame of random content with a plausible size, then garbage after it.
      const body = Buffer.alloc(4 + (random() % 60))
      for (let i = 0; i < body.length; i++) body[i] = random() & 0xff
      body.writeUInt16BE(
        [0x01, 0x02, 0x05, 0x07, 0x0a, 0x0d, 0x0f, 0x13, 0x1d, 0x18][round % 10] as number,
        0,
      )
      body.writeUInt16BE(1, 2)
      raw.write(Buffer.concat([u32(body.length), body]))
      await new Promise((r) => setTimeout(r, 5))
      raw.destroy()
    }
    // A garbage size closes with "frame too large".
    const huge = await RawStreamClient.open(port)
    huge.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]))
    const f = await huge.next()
    assert.equal(f?.key, 0x16)
    assert.equal(f?.body.readUInt16BE(4), 0x0e)
    await huge.closedByServer()
    // The broker and this client's connection are unharmed.
    await publishConfirmed(c, s, ['still', 'here'])
    assert.deepEqual(bodies(await consumeBodies(c, s, rabbit.Offset.first(), 2)), ['still', 'here'])
  })
})

test('stream protocol: a stored batch larger than a consumer frame max arrives split, in order, from any offset', async () => {
  const s = unique('framemax')
  const big = Array.from({ length: 60 }, (_, i) => `m${i}`.padEnd(100, '.'))
  await withClient(async (c) => {
    await c.createStream({ stream: s, arguments: {} })
    await publishConfirmed(c, s, big)
  })
  const port = b.broker.streamPort
  assert.ok(port !== undefined)
  const small = await rabbit.connect({
    hostname: '127.0.0.1',
    port,
    username: 'guest',
    password: 'guest',
    vhost: '/',
    frameMax: 2048,
  })
  try {
    // The npm client hands out the messages of frames that arrive together interleaved: order by offset.
    const byOffset = (ms: Received[]): Received[] =>
      [...ms].sort((x, y) => Number((x.offset ?? 0n) - (y.offset ?? 0n)))
    const all = byOffset(await consumeBodies(small, s, rabbit.Offset.first(), 60))
    assert.deepEqual(bodies(all), big)
    assert.deepEqual(
      all.map((m) => m.offset),
      Array.from({ length: 60 }, (_, i) => BigInt(i)),
    )
    const tail = byOffset(await consumeBodies(small, s, rabbit.Offset.offset(45n), 15))
    assert.deepEqual(bodies(tail), big.slice(45))
    assert.deepEqual(
      tail.map((m) => m.offset),
      Array.from({ length: 15 }, (_, i) => BigInt(45 + i)),
    )
  } finally {
    await small.close()
  }
})
