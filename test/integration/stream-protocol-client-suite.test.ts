// Regressions found by running the rabbitmq-stream-js-client library's own test suite against Warren
// (docs/streams.md, "Client suite"): error responses that clients decode field by field, publishing id
// 0 of a new named publisher, super stream names, and a stream re-created right after its deletion.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import rabbit from 'rabbitmq-stream-js-client'
import { eventually, useBroker } from '../helpers/broker.js'
import { RawStreamClient, str, u32 } from '../helpers/stream-raw.js'

const b = useBroker()
let n = 0
const unique = (p: string): string => `${p}-${process.pid}-${++n}`

type Client = Awaited<ReturnType<typeof rabbit.connect>>

async function withClient<T>(f: (c: Client) => Promise<T>): Promise<T> {
  const port = b.broker.streamPort as number
  const c = await rabbit.connect({
    hostname: '127.0.0.1',
    port,
    username: 'guest',
    password: 'guest',
    vhost: '/',
  })
  try {
    return await f(c)
  } finally {
    await c.close()
  }
}

async function rawClient(): Promise<RawStreamClient> {
  const raw = await RawStreamClient.open(b.broker.streamPort as number)
  assert.equal(await raw.login('guest', 'guest'), 0x01)
  assert.equal(await raw.openVhost('/'), 0x01)
  return raw
}

test('stream client suite: error responses carry their empty list, map or number, as RabbitMQ sends them', async () => {
  const raw = await rawClient()
  try {
    const missing = unique('missing')
    const ask = async (key: number, fields: Buffer): Promise<Buffer> => {
      raw.send(key, Buffer.concat([u32(7), fields]))
      const f = await raw.next()
      assert.equal(f?.key, key | 0x8000)
      assert.equal(f?.body.readUInt32BE(0), 7)
      return f.body.subarray(4)
    }
    // route (key, super stream), partitions, stream stats: code 2 then an empty list or map (int32 0)
    for (const [key, fields] of [
      [0x18, Buffer.concat([str('0'), str(missing)])],
      [0x19, str(missing)],
      [0x1c, str(missing)],
    ] as const) {
      const body = await ask(key, fields)
      assert.deepEqual([body.readUInt16BE(0), body.length, body.readInt32BE(2)], [0x02, 6, 0], `key ${key}`)
    }
    // query offset and query publisher sequence on a missing stream: the code, then a uint64 0
    for (const key of [0x0b, 0x05]) {
      const body = await ask(key, Buffer.concat([str('ref'), str(missing)]))
      assert.deepEqual(
        [body.readUInt16BE(0), body.length, body.readBigUInt64BE(2)],
        [0x02, 10, 0n],
        `key ${key}`,
      )
    }
  } finally {
    raw.destroy()
  }
  // and the npm client turns them into errors instead of failing to decode the frame
  await withClient(async (c) => {
    await assert.rejects(c.routeQuery({ routingKey: '0', superStream: unique('none') }), /code 2/)
    await assert.rejects(c.streamStatsRequest(unique('none')), /code 2/)
  })
})

test('stream client suite: a new named publisher may start at publishing id 0; a resent 0 is a duplicate', async () => {
  await withClient(async (c) => {
    const s = unique('dedup0')
    await c.createStream({ stream: s, arguments: {} })
    const pub = await c.declarePublisher({ stream: s, publisherRef: unique('p') })
    const confirmed: bigint[] = []
    pub.on('publish_confirm', (err, ids) => {
      assert.equal(err, null)
      confirmed.push(...ids)
    })
    for (let round = 0; round < 2; round++) {
      for (let id = 0; id < 3; id++) await pub.basicSend(BigInt(id), Buffer.from(`m${id}`))
      await pub.flush()
    }
    await eventually(() => confirmed.length >= 6, 5000)
    const got: string[] = []
    const consumer = await c.declareConsumer({ stream: s, offset: rabbit.Offset.first() }, (m) => {
      got.push(m.content.toString())
    })
    await eventually(() => got.length >= 3, 5000)
    await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(got, ['m0', 'm1', 'm2'])
    assert.equal(await pub.getLastPublishingId(), 2n)
    await consumer.close()
  })
})

test('stream client suite: creating a super stream without a name is refused (precondition failed, 17)', async () => {
  await withClient(async (c) => {
    await assert.rejects(c.createSuperStream({ streamName: '', arguments: {} }), /code 17/)
    const named = unique('ss')
    assert.equal(await c.createSuperStream({ streamName: named, arguments: {} }), true)
    assert.deepEqual(
      await c.partitionsQuery({ superStream: named }),
      [0, 1, 2].map((i) => `${named}-${i}`),
    )
  })
})

test('stream client suite: a stream deleted and at once created again starts empty; the connection goes on', async () => {
  await withClient(async (c) => {
    const s = unique('again')
    for (let round = 0; round < 3; round++) {
      await c.createStream({ stream: s, arguments: {} })
      const pub = await c.declarePublisher({ stream: s })
      for (let i = 0; i < 50; i++) await pub.send(Buffer.from(`round${round}-${i}`))
      await pub.flush()
      const got: string[] = []
      const consumer = await c.declareConsumer({ stream: s, offset: rabbit.Offset.first() }, (m) => {
        got.push(m.content.toString())
      })
      await eventually(() => got.length >= 50, 5000)
      await new Promise((r) => setTimeout(r, 50))
      assert.equal(got.length, 50, `round ${round}: only this round's messages`)
      assert.ok(
        got.every((m) => m.startsWith(`round${round}-`)),
        `round ${round} read ${got.find((m) => !m.startsWith(`round${round}-`))}`,
      )
      await consumer.close()
      await pub.close()
      await c.deleteStream({ stream: s })
    }
  })
})

async function api(method: string, path: string): Promise<Response> {
  const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`
  return fetch(new URL(path, b.broker.httpUrl), { method, headers: { authorization: auth } })
}

interface ListedConnection {
  name: string
  protocol: string
  user: string
  vhost: string
  client_properties: Record<string, unknown>
}

test('stream client suite: stream connections are listed by /api/connections, named, and closed there', async () => {
  const port = b.broker.streamPort as number
  const connectionName = unique('suite-connection')
  let closed = false
  const c = await rabbit.connect({
    hostname: '127.0.0.1',
    port,
    username: 'guest',
    password: 'guest',
    vhost: '/',
    connectionName,
    listeners: { connection_closed: () => (closed = true) },
  })
  const listed = async (): Promise<ListedConnection | undefined> => {
    const all = (await (await api('GET', '/api/connections')).json()) as ListedConnection[]
    return all.find((x) => x.client_properties['connection_name'] === connectionName)
  }
  const mine = await listed()
  assert.ok(mine, 'the stream connection is listed')
  assert.deepEqual([mine.protocol, mine.user, mine.vhost], ['stream', 'guest', '/'])
  const one = await api('GET', `/api/connections/${encodeURIComponent(mine.name)}`)
  assert.equal(one.status, 200)
  assert.equal((await api('DELETE', `/api/connections/${encodeURIComponent(mine.name)}`)).status, 204)
  await eventually(() => closed, 3000)
  assert.equal(await listed(), undefined)
  await c.close().catch(() => undefined)
})

test('stream client suite: /api/stream/publishers, consumers and a connection consumers list the live ones', async () => {
  await withClient(async (c) => {
    const s = unique('listed')
    await c.createStream({ stream: s, arguments: {} })
    const reference = unique('pub')
    await c.declarePublisher({ stream: s, publisherRef: reference })
    const identifier = unique('reader')
    await c.declareConsumer(
      { stream: s, offset: rabbit.Offset.first(), consumerRef: unique('ref'), consumerTag: identifier },
      () => undefined,
    )
    const get = async (path: string): Promise<Array<Record<string, unknown>>> => {
      const r = await api('GET', path)
      assert.equal(r.status, 200, path)
      return (await r.json()) as Array<Record<string, unknown>>
    }
    const pubs = await get(`/api/stream/publishers/%2F/${s}`)
    assert.deepEqual(
      pubs.map((p) => p['reference']),
      [reference],
    )
    const cons = (await get('/api/stream/consumers/%2F')).filter(
      (k) => (k['queue'] as { name: string }).name === s,
    )
    assert.equal(cons.length, 1)
    assert.equal((cons[0]?.['properties'] as Record<string, string>)['identifier'], identifier)
    const connection = (cons[0]?.['connection_details'] as { name: string }).name
    const credits = await get(`/api/stream/connections/%2F/${encodeURIComponent(connection)}/consumers`)
    assert.ok(credits.every((k) => typeof k['credits'] === 'number') && credits.length >= 1)
    assert.equal((await api('GET', '/api/stream/publishers/%2F/no-such-stream')).status, 200)
    assert.equal((await api('GET', '/api/stream/consumers/no-such-vhost')).status, 404)
  })
})

test('stream client suite: partition orders given as strings (HTTP API) place the partitions for single active consumers', async () => {
  const name = unique('http-super')
  const put = async (path: string, body: unknown, method = 'PUT'): Promise<void> => {
    const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`
    const headers = { authorization: auth, 'content-type': 'application/json' }
    const r = await fetch(new URL(path, b.broker.httpUrl), { method, headers, body: JSON.stringify(body) })
    assert.ok(r.status < 300, `${method} ${path}: ${r.status}`)
  }
  await put(`/api/exchanges/%2F/${name}`, {
    type: 'direct',
    durable: true,
    arguments: { 'x-super-stream': true },
  })
  for (const key of ['1', '0']) {
    await put(`/api/queues/%2F/${name}-${key}`, { durable: true, arguments: { 'x-queue-type': 'stream' } })
    const binding = { routing_key: key, arguments: { 'x-stream-partition-order': key } }
    await put(`/api/bindings/%2F/e/${name}/q/${name}-${key}`, binding, 'POST')
  }
  await withClient(async (c) => {
    assert.deepEqual(await c.partitionsQuery({ superStream: name }), [`${name}-0`, `${name}-1`])
    const got: string[][] = [[], []]
    const params = { superStream: name, offset: rabbit.Offset.first(), consumerRef: 'workers' }
    for (const i of [0, 1]) {
      await c.declareSuperStreamConsumer(params, (m) => {
        got[i]?.push(m.content.toString())
      })
    }
    await new Promise((r) => setTimeout(r, 300)) // the first steps down on partition 1, the second takes it
    const pub = await c.declarePublisher({ stream: `${name}-0` })
    await pub.send(Buffer.from('p0'))
    const pub1 = await c.declarePublisher({ stream: `${name}-1` })
    await pub1.send(Buffer.from('p1'))
    await eventually(() => got.flat().length >= 2, 5000)
    await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(got, [['p0'], ['p1']])
  })
})
