// Vhost limits (max-connections, max-queues) and user limits (max-connections, max-channels): the HTTP
// endpoints' statuses and bodies, and the refusals at connection.open, channel.open and queue.declare, with
// RabbitMQ 3.10.8's codes and texts. Runs against the reference too (see helpers.ts). RabbitMQ counts
// connections and channels a moment after they open or close, so the boundaries are checked by retrying
// until the answer settles.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type CloseInfo, RawClient } from '../helpers/raw-client.js'
import { connectionClose } from '../helpers/raw-target.js'
import { rejection } from '../helpers/target.js'
import { amqp, eventually, scratchUser, scratchVhost, seg, unique, useManagement } from './helpers.js'

/** A new channel whose close by the server is left to the operation's rejection. */
async function channel(conn: amqp.ChannelModel): Promise<amqp.Channel> {
  const ch = await conn.createChannel()
  ch.on('error', () => {})
  return ch
}

const m = useManagement()
const vh = scratchVhost(m, 'mgmt-limits')
const V = (): string => seg(vh.name)
const app = scratchUser(m, 'management', 'mgmt-limits-user')
const FULL = { configure: '.*', write: '.*', read: '.*' }
m.setup(async () => void (await m.api('PUT', `/api/permissions/${V()}/${seg(app.name)}`, { body: FULL })))

const GUEST = { name: 'guest', password: 'guest' }
type Login = { readonly name: string; readonly password: string }
const clients = new Set<RawClient>()
m.setup(
  () => Promise.resolve(),
  async () => {
    for (const c of clients) c.destroy()
  },
)

/** connection.open of `vhost` as `who`, frame by frame: the open client, or the close that refused it. */
async function open(vhost: string, who: Login = GUEST): Promise<RawClient | CloseInfo> {
  const c = await RawClient.connectUrl(m.amqpUrl)
  clients.add(c)
  await c.handshake({ user: who.name, pass: who.password, stopAfter: 'tune-ok' })
  c.send(0, 'connection.open', { virtualHost: vhost })
  const f = await c.nextMethod(3000)
  if (f?.method === 'connection.open-ok') return c
  c.destroy()
  const a = f?.args as { replyCode: number; replyText: string; classId: number; methodId: number }
  return connectionClose(a.replyCode, a.replyText, a.classId, a.methodId)
}

/** Opens until the broker refuses (its count may lag behind the connections just opened). */
async function refusal(vhost: string, who: Login = GUEST): Promise<CloseInfo> {
  for (let i = 0; i < 50; i++) {
    const r = await open(vhost, who)
    if (!(r instanceof RawClient)) return r
    await r.close()
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('never refused')
}

/** Opens until the broker accepts (its count may lag behind the connections just closed). */
async function accepted(vhost: string, who: Login = GUEST): Promise<RawClient> {
  let last: CloseInfo | undefined
  for (let i = 0; i < 50; i++) {
    const r = await open(vhost, who)
    if (r instanceof RawClient) return r
    last = r
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`never accepted: ${last?.replyText}`)
}

async function openAll(n: number, vhost: string, who: Login = GUEST): Promise<RawClient[]> {
  const out: RawClient[] = []
  for (let i = 0; i < n; i++) out.push(await accepted(vhost, who))
  return out
}

const setLimit = async (kind: 'vhost' | 'user', on: string, name: string, value: unknown): Promise<void> => {
  const r = await m.api('PUT', `/api/${kind}-limits/${seg(on)}/${name}`, { body: { value } })
  assert.equal(r.status, 204, r.text)
}
const clearLimit = async (kind: 'vhost' | 'user', on: string, name: string): Promise<void> => {
  assert.equal((await m.api('DELETE', `/api/${kind}-limits/${seg(on)}/${name}`)).status, 204)
}

const vhostRefusal = (limit: number, user = 'guest'): CloseInfo =>
  connectionClose(
    530,
    `NOT_ALLOWED - access to vhost '${vhost()}' refused for user '${user}': connection limit (${limit}) is reached`,
    10,
    40,
  )
const vhost = (): string => vh.name

describe('/api/vhost-limits', () => {
  test('PUT sets a limit (204); GET lists the vhost with the last one set first', async () => {
    const v = unique('mgmt-limits-vh')
    await m.api('PUT', `/api/vhosts/${v}`)
    try {
      assert.deepEqual((await m.api('GET', `/api/vhost-limits/${v}`)).json, [])
      assert.ok(
        !((await m.api('GET', '/api/vhost-limits')).json as Array<{ vhost: string }>).some(
          (x) => x.vhost === v,
        ),
      )
      await setLimit('vhost', v, 'max-queues', 1)
      await setLimit('vhost', v, 'max-connections', 10)
      await setLimit('vhost', v, 'max-queues', 5) // replaced, and first again
      const one = (await m.api('GET', `/api/vhost-limits/${v}`)).json
      assert.deepEqual(one, [{ vhost: v, value: { 'max-queues': 5, 'max-connections': 10 } }])
      assert.deepEqual(Object.keys(one[0]?.value ?? {}), ['max-queues', 'max-connections'])
      const all = (await m.api('GET', '/api/vhost-limits')).json as Array<{ vhost: string }>
      assert.deepEqual(
        all.find((x) => x.vhost === v),
        one[0],
      )
    } finally {
      await m.api('DELETE', `/api/vhosts/${v}`)
    }
  })

  test('DELETE clears one limit; with none left the vhost stays listed with an empty value, as in RabbitMQ', async () => {
    const v = unique('mgmt-limits-vh')
    await m.api('PUT', `/api/vhosts/${v}`)
    try {
      await setLimit('vhost', v, 'max-connections', 3)
      await setLimit('vhost', v, 'max-queues', 4)
      await clearLimit('vhost', v, 'max-connections')
      await clearLimit('vhost', v, 'max-connections') // not set: still 204
      await clearLimit('vhost', v, 'max-nothing')
      assert.deepEqual((await m.api('GET', `/api/vhost-limits/${v}`)).json, [
        { vhost: v, value: { 'max-queues': 4 } },
      ])
      await clearLimit('vhost', v, 'max-queues')
      assert.deepEqual((await m.api('GET', `/api/vhost-limits/${v}`)).json, [])
      const all = (await m.api('GET', '/api/vhost-limits')).json as Array<{ vhost: string }>
      assert.deepEqual(
        all.find((x) => x.vhost === v),
        { vhost: v, value: [] },
      )
    } finally {
      await m.api('DELETE', `/api/vhosts/${v}`)
    }
  })

  test('refused: an unknown limit, a value that is not an integer, no value, a missing vhost', async () => {
    const put = (name: string, body: unknown, v = V()) =>
      m.api('PUT', `/api/vhost-limits/${v}/${name}`, { body })
    const failed = (what: string) => ({ error: 'bad_request', reason: `Validation failed\n\n${what}\n` })
    let r = await put('max-foo', { value: 2 })
    assert.deepEqual([r.status, r.json], [400, failed('Unrecognised terms [{<<"max-foo">>,2}] in limits')])
    r = await put('max-connections', { value: 'x' })
    assert.deepEqual(
      [r.status, r.json],
      [400, failed('max-connections should be a number, actually was <<"x">>')],
    )
    r = await put('max-queues', { value: '5' })
    assert.deepEqual([r.status, r.json], [400, failed('max-queues should be a number, actually was <<"5">>')])
    r = await put('max-queues', { value: 1.5 })
    assert.deepEqual([r.status, r.json], [400, failed('max-queues should be a number, actually was 1.5')])
    r = await put('max-queues', { value: null })
    assert.deepEqual([r.status, r.json], [400, failed('max-queues should be a number, actually was null')])
    r = await put('max-queues', { other: 1 })
    assert.deepEqual([r.status, r.json], [400, { error: 'bad_request', reason: '[{key_missing,value}]' }])
    r = await put('max-queues', { value: 1 }, 'no-such-vhost')
    assert.deepEqual([r.status, r.json], [404, { error: 'not_found', reason: 'vhost_not_found' }])
    assert.equal((await m.api('GET', '/api/vhost-limits/no-such-vhost')).status, 404)
    assert.deepEqual((await m.api('GET', `/api/vhost-limits/${V()}`)).json, [])
  })
})

describe('vhost max-connections', () => {
  test('a connection over the limit is refused at connection.open with 530; once one closes, another opens', async () => {
    await setLimit('vhost', vhost(), 'max-connections', 2)
    try {
      const [first, second] = await openAll(2, vhost())
      assert.deepEqual(await refusal(vhost()), vhostRefusal(2))
      // Other vhosts are not limited.
      await (await accepted('/')).close()
      await first?.close()
      const third = await accepted(vhost())
      assert.deepEqual(await refusal(vhost()), vhostRefusal(2))
      await Promise.all([second?.close(), third.close()])
    } finally {
      await clearLimit('vhost', vhost(), 'max-connections')
    }
  })

  test('0 lets no connection in; raising the limit lets more in; a negative value or clearing it, any', async () => {
    await setLimit('vhost', vhost(), 'max-connections', 0)
    try {
      assert.deepEqual(await refusal(vhost()), vhostRefusal(0))
      await setLimit('vhost', vhost(), 'max-connections', 1)
      const one = await accepted(vhost())
      assert.deepEqual(await refusal(vhost()), vhostRefusal(1))
      await setLimit('vhost', vhost(), 'max-connections', -1)
      const more = await openAll(3, vhost())
      await clearLimit('vhost', vhost(), 'max-connections')
      more.push(await accepted(vhost()))
      await Promise.all([one, ...more].map((c) => c.close()))
    } finally {
      await clearLimit('vhost', vhost(), 'max-connections')
    }
  })

  test('the vhost limit is checked before the user limit and before access to the vhost', async () => {
    const stranger = await m.api('PUT', `/api/users/${seg(app.name)}-x`, {
      body: { password: 'x', tags: '' },
    })
    assert.equal(stranger.status, 201)
    try {
      await setLimit('vhost', vhost(), 'max-connections', 0)
      await setLimit('user', app.name, 'max-connections', 0)
      assert.deepEqual(
        await refusal(vhost(), { name: `${app.name}-x`, password: 'x' }),
        vhostRefusal(0, `${app.name}-x`),
      )
      assert.deepEqual(await refusal(vhost(), app), vhostRefusal(0, app.name))
    } finally {
      await clearLimit('vhost', vhost(), 'max-connections')
      await clearLimit('user', app.name, 'max-connections')
      await m.api('DELETE', `/api/users/${seg(app.name)}-x`)
    }
  })
})

describe('vhost max-queues', () => {
  const limitText = (queue: string, limit: number): string =>
    `PRECONDITION_FAILED - cannot declare queue '${queue}': queue limit in vhost '${vhost()}' (${limit}) is reached`

  test('a queue.declare over the limit: 406; redeclaring is fine; a deleted queue makes room', async () => {
    const conn = await m.connect(vhost())
    const ch = await conn.createChannel()
    for (const q of ['lq1', 'lq2', 'lq3']) await ch.deleteQueue(q)
    await setLimit('vhost', vhost(), 'max-queues', 2)
    try {
      await ch.assertQueue('lq1')
      await ch.assertQueue('lq2', { durable: true })
      let err = await rejection(async () => (await channel(conn)).assertQueue('lq3'))
      assert.deepEqual(err, { code: 406, text: limitText('lq3', 2) })
      const again = await channel(conn)
      await again.assertQueue('lq1') // an existing queue is no new queue
      await again.checkQueue('lq2')
      err = await rejection(async () => (await channel(conn)).assertQueue('', { exclusive: true }))
      assert.equal(err.code, 406)
      assert.match(
        err.text,
        new RegExp(
          `^PRECONDITION_FAILED - cannot declare queue 'amq\\.gen-[\\w-]+': queue limit in vhost '${vhost()}' \\(2\\) is reached$`,
        ),
      )
      // Over HTTP too, as RabbitMQ's management plugin declares through a channel.
      const r = await m.api('PUT', `/api/queues/${V()}/lq3`, { body: { durable: false } })
      assert.deepEqual(
        [r.status, r.json],
        [400, { error: 'bad_request', reason: limitText('lq3', 2).replace('PRECONDITION_FAILED - ', '') }],
      )
      assert.equal((await m.api('PUT', `/api/queues/${V()}/lq1`, { body: { durable: true } })).status, 204)
      await again.deleteQueue('lq1')
      await again.assertQueue('lq3')
    } finally {
      await clearLimit('vhost', vhost(), 'max-queues')
      const c = await conn.createChannel()
      for (const q of ['lq1', 'lq2', 'lq3']) await c.deleteQueue(q)
      await conn.close()
    }
  })

  test('exclusive queues count; 0 allows none; a negative value or clearing it, any', async () => {
    const conn = await m.connect(vhost())
    try {
      const ch = await conn.createChannel()
      await ch.assertQueue('', { exclusive: true })
      await setLimit('vhost', vhost(), 'max-queues', 1)
      let err = await rejection(async () => (await channel(conn)).assertQueue('lq-x'))
      assert.deepEqual(err, { code: 406, text: limitText('lq-x', 1) })
      await setLimit('vhost', vhost(), 'max-queues', 0)
      err = await rejection(async () => (await channel(conn)).assertQueue('lq-x'))
      assert.deepEqual(err, { code: 406, text: limitText('lq-x', 0) })
      await setLimit('vhost', vhost(), 'max-queues', -1)
      await (await channel(conn)).assertQueue('', { exclusive: true })
      await clearLimit('vhost', vhost(), 'max-queues')
      await (await channel(conn)).assertQueue('', { exclusive: true })
    } finally {
      await clearLimit('vhost', vhost(), 'max-queues')
      await conn.close()
    }
  })
})

describe('/api/user-limits', () => {
  test('PUT sets (204); GET lists the user with its limits in key order, as /api/users does', async () => {
    const u = app.name
    assert.deepEqual((await m.api('GET', `/api/user-limits/${seg(u)}`)).json, [])
    await setLimit('user', u, 'max-connections', 30)
    await setLimit('user', u, 'max-channels', 50)
    try {
      const value = { 'max-channels': 50, 'max-connections': 30 }
      const one = (await m.api('GET', `/api/user-limits/${seg(u)}`)).json
      assert.deepEqual(one, [{ user: u, value }])
      assert.deepEqual(Object.keys(one[0]?.value ?? {}), ['max-channels', 'max-connections'])
      const all = (await m.api('GET', '/api/user-limits')).json as Array<{ user: string }>
      assert.deepEqual(
        all.find((x) => x.user === u),
        { user: u, value },
      )
      assert.deepEqual((await m.api('GET', `/api/users/${seg(u)}`)).json.limits, value)
      await clearLimit('user', u, 'max-connections')
      await clearLimit('user', u, 'max-nothing')
      assert.deepEqual((await m.api('GET', `/api/user-limits/${seg(u)}`)).json, [
        { user: u, value: { 'max-channels': 50 } },
      ])
      await clearLimit('user', u, 'max-channels')
      assert.deepEqual((await m.api('GET', `/api/user-limits/${seg(u)}`)).json, [])
      assert.ok(
        !((await m.api('GET', '/api/user-limits')).json as Array<{ user: string }>).some((x) => x.user === u),
      )
      assert.deepEqual((await m.api('GET', `/api/users/${seg(u)}`)).json.limits, {})
    } finally {
      await clearLimit('user', u, 'max-connections')
      await clearLimit('user', u, 'max-channels')
    }
  })

  test('refused: an unknown limit, a value that is not an integer, no value, a missing user', async () => {
    const put = (name: string, body: unknown, u = seg(app.name)) =>
      m.api('PUT', `/api/user-limits/${u}/${name}`, { body })
    const bad = (reason: unknown) => ({ error: 'bad_request', reason })
    let r = await put('max-foo', { value: 1 })
    assert.deepEqual([r.status, r.json], [400, bad('Unrecognised terms [{<<"max-foo">>,1}] in user-limits')])
    r = await put('max-channels', { value: 'x' })
    assert.deepEqual([r.status, r.json], [400, bad('max-channels should be a number, actually was <<"x">>')])
    r = await put('max-channels', { value: 2.5 })
    assert.deepEqual([r.status, r.json], [400, bad('max-channels should be a number, actually was 2.5')])
    r = await put('max-channels', {})
    assert.deepEqual([r.status, r.json], [400, bad('[{key_missing,value}]')])
    r = await put('max-channels', { value: 1 }, 'no-such-user')
    assert.deepEqual([r.status, r.json], [400, bad(['no_such_user', 'no-such-user'])])
    assert.equal((await m.api('GET', '/api/user-limits/no-such-user')).status, 404)
    assert.deepEqual((await m.api('GET', `/api/user-limits/${seg(app.name)}`)).json, [])
  })

  test("a user PUT with `limits` adds them to the user's (RabbitMQ 3.10); without, they stay", async () => {
    const u = unique('mgmt-limits-put')
    try {
      let r = await m.api('PUT', `/api/users/${u}`, {
        body: { password: 'p', tags: '', limits: { 'max-connections': 3 } },
      })
      assert.equal(r.status, 201)
      assert.deepEqual((await m.api('GET', `/api/user-limits/${u}`)).json, [
        { user: u, value: { 'max-connections': 3 } },
      ])
      r = await m.api('PUT', `/api/users/${u}`, {
        body: { password: 'p', tags: '', limits: { 'max-channels': 4 } },
      })
      assert.equal(r.status, 204)
      r = await m.api('PUT', `/api/users/${u}`, { body: { password: 'p', tags: '' } })
      assert.deepEqual((await m.api('GET', `/api/users/${u}`)).json.limits, {
        'max-channels': 4,
        'max-connections': 3,
      })
    } finally {
      await m.api('DELETE', `/api/users/${u}`)
    }
  })
})

describe('user max-connections and max-channels', () => {
  const userRefusal = (limit: number): CloseInfo =>
    connectionClose(
      530,
      `NOT_ALLOWED - connection refused for user '${app.name}': user connection limit (${limit}) is reached`,
      10,
      40,
    )

  test("a connection over the user's limit is refused with 530, in any vhost; others are not; once one closes, another opens", async () => {
    await m.api('PUT', `/api/permissions/%2F/${seg(app.name)}`, { body: FULL })
    await setLimit('user', app.name, 'max-connections', 2)
    try {
      const first = await accepted(vhost(), app)
      const second = await accepted('/', app)
      assert.deepEqual(await refusal(vhost(), app), userRefusal(2))
      assert.deepEqual(await refusal('/', app), userRefusal(2))
      await (await accepted(vhost())).close() // guest is not limited
      await second.close()
      const third = await accepted(vhost(), app)
      await setLimit('user', app.name, 'max-connections', 0)
      assert.deepEqual(await refusal(vhost(), app), userRefusal(0))
      await Promise.all([first.close(), third.close()])
    } finally {
      await clearLimit('user', app.name, 'max-connections')
      await m.api('DELETE', `/api/permissions/%2F/${seg(app.name)}`)
    }
  })

  test("a channel over the user's max-channels closes the connection with 530, counted over all its connections", async () => {
    const refused = (limit: number): CloseInfo =>
      connectionClose(
        530,
        `NOT_ALLOWED - number of channels opened for user '${app.name}' has reached the maximum allowed user limit of (${limit})`,
      )
    await setLimit('user', app.name, 'max-channels', 2)
    try {
      const a = await accepted(vhost(), app)
      const b = await accepted(vhost(), app)
      await a.openChannel(1)
      await b.openChannel(1)
      // RabbitMQ counts a channel a moment after it opens: wait until the third is refused.
      let info: CloseInfo | undefined
      for (let i = 0; i < 50 && info === undefined; i++) {
        const c = await accepted(vhost(), app)
        info = await channelRefusal(c, 1)
        if (info === undefined) {
          await c.close()
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      assert.deepEqual(info, refused(2))
      // Closing a channel makes room for another.
      await b.call(1, 'channel.close', { replyCode: 200, replyText: '' }, 'channel.close-ok')
      await eventually(async () => {
        const c = await accepted(vhost(), app)
        c.send(1, 'channel.open')
        const f = await c.nextMethod(3000)
        await c.close()
        return f?.method === 'channel.open-ok'
      })
      await setLimit('user', app.name, 'max-channels', 0)
      const c = await accepted(vhost(), app)
      assert.deepEqual(await channelRefusal(c, 7), refused(0))
      await Promise.all([a.close(), b.close()])
    } finally {
      await clearLimit('user', app.name, 'max-channels')
    }
  })

  test('with amqplib: the channel refused surfaces as a connection error with the text', async () => {
    await setLimit('user', app.name, 'max-channels', 0)
    try {
      const url = new URL(m.amqpUrl)
      url.username = encodeURIComponent(app.name)
      url.password = encodeURIComponent(app.password)
      url.pathname = '/' + encodeURIComponent(vhost())
      const conn = await amqp.connect(url.toString())
      const closed = new Promise<Error>((resolve) => conn.on('error', resolve))
      await assert.rejects(conn.createChannel())
      assert.match(
        (await closed).message,
        /530 \(NOT-ALLOWED\) with message "NOT_ALLOWED - number of channels opened for user/,
      )
    } finally {
      await clearLimit('user', app.name, 'max-channels')
    }
  })
})

/** The connection.close a channel.open was answered with (acknowledged with close-ok). */
async function channelRefusal(c: RawClient, channel: number): Promise<CloseInfo | undefined> {
  c.send(channel, 'channel.open')
  const f = await c.nextMethod(3000)
  if (f?.method !== 'connection.close') return undefined
  c.send(0, 'connection.close-ok')
  const a = f.args as { replyCode: number; replyText: string; classId: number; methodId: number }
  return connectionClose(a.replyCode, a.replyText, a.classId, a.methodId)
}

describe('the HTTP API under connection limits', () => {
  const as = (): [string, string] => [app.name, app.password]
  const publish = () =>
    m.api('POST', `/api/exchanges/${V()}/amq.direct/publish`, {
      user: as(),
      body: { properties: {}, routing_key: 'k', payload: 'x', payload_encoding: 'string' },
    })
  const get = () =>
    m.api('POST', `/api/queues/${V()}/http-limits/get`, {
      user: as(),
      body: { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' },
    })
  const refused = { error: 'not_authorised', reason: 'Access refused.' }

  test('publish, get and the aliveness test run over a connection in RabbitMQ: a reached connection limit refuses them with 401', async () => {
    assert.equal(
      (await m.api('PUT', `/api/queues/${V()}/http-limits`, { body: { durable: false } })).status,
      201,
    )
    try {
      for (const [kind, on] of [
        ['vhost', vhost()],
        ['user', app.name],
      ] as const) {
        await setLimit(kind, on, 'max-connections', 0)
        for (const r of [await publish(), await get()])
          assert.deepEqual([r.status, r.json], [401, refused], kind)
        if (kind === 'vhost') {
          const r = await m.api('GET', `/api/aliveness-test/${V()}`)
          assert.deepEqual([r.status, r.json], [401, refused])
        }
        // Declares and binds are not refused.
        assert.equal(
          (await m.api('PUT', `/api/queues/${V()}/http-limits`, { user: as(), body: { durable: false } }))
            .status,
          204,
        )
        await clearLimit(kind, on, 'max-connections')
        assert.equal((await publish()).status, 200)
        assert.equal((await get()).status, 200)
      }
    } finally {
      await clearLimit('vhost', vhost(), 'max-connections')
      await clearLimit('user', app.name, 'max-connections')
      await m.api('DELETE', `/api/queues/${V()}/http-limits`)
    }
  })

  // RabbitMQ 3.10 answers these with a 500 (its channel fails to open).
  test('a reached max-channels refuses them with 401 too', { skip: m.external }, async () => {
    await setLimit('user', app.name, 'max-channels', 0)
    try {
      const r = await publish()
      assert.deepEqual([r.status, r.json], [401, refused])
    } finally {
      await clearLimit('user', app.name, 'max-channels')
    }
  })
})
