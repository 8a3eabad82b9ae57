// Topic permissions: the HTTP endpoints' statuses and bodies, and what they govern, as RabbitMQ 3.10.8
// does it: a user with a topic permission for a topic exchange may publish to it only with routing keys
// its `write` expression matches, and bind from it (queue or exchange) only with keys `read` matches;
// {username} and {vhost} stand for the user and the vhost. Other exchanges, and users without a topic
// permission there, are not checked. The HTTP API's publish and bind make the same checks. Runs against
// the reference too (see helpers.ts).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { RawClient } from '../helpers/raw-client.js'
import { channelClose, closeOf } from '../helpers/raw-target.js'
import { channelClosed, rejection } from '../helpers/target.js'
import { amqp, type AnyJson, scratchUser, scratchVhost, seg, unique, useManagement } from './helpers.js'

const m = useManagement()
const vh = scratchVhost(m, 'mgmt-topic')
const V = (): string => seg(vh.name)
const app = scratchUser(m, 'management', 'mgmt-topic.user')
const other = scratchUser(m, 'management', 'mgmt-topic-other')
const FULL = { configure: '.*', write: '.*', read: '.*' }
m.setup(async () => {
  for (const u of [app, other]) await m.api('PUT', `/api/permissions/${V()}/${seg(u.name)}`, { body: FULL })
  await m.api('PUT', `/api/exchanges/${V()}/events`, { body: { type: 'topic' } })
  await m.api('PUT', `/api/exchanges/${V()}/plain`, { body: { type: 'direct' } })
  await m.api('PUT', `/api/exchanges/${V()}/fan`, { body: { type: 'fanout' } })
})

const tpPath = (user = app.name): string => `/api/topic-permissions/${V()}/${seg(user)}`
const putTopic = async (exchange: string, write: string, read: string, user = app.name): Promise<number> =>
  (await m.api('PUT', tpPath(user), { body: { exchange, write, read } })).status
const clearTopic = async (user = app.name): Promise<void> => void (await m.api('DELETE', tpPath(user)))

/** A connection of `who` to the scratch vhost. */
async function login(who: { name: string; password: string } = app): Promise<amqp.ChannelModel> {
  const url = new URL(m.amqpUrl)
  url.username = encodeURIComponent(who.name)
  url.password = encodeURIComponent(who.password)
  url.pathname = '/' + encodeURIComponent(vh.name)
  const conn = await amqp.connect(url.toString())
  conn.on('error', () => {})
  return conn
}

async function channel(conn: amqp.ChannelModel): Promise<amqp.ConfirmChannel> {
  const ch = await conn.createConfirmChannel()
  ch.on('error', () => {})
  return ch
}

/** Publishes on a fresh confirm channel: 'ok' once confirmed, else the channel's close. */
async function publishes(conn: amqp.ChannelModel, exchange: string, key: string): Promise<unknown> {
  const ch = await channel(conn)
  const closed = channelClosed(ch)
  ch.publish(exchange, key, Buffer.from('x'))
  return Promise.race([ch.waitForConfirms().then(() => 'ok'), closed])
}

const refusal = (key: string, exchange = 'events', user = app.name) => ({
  code: 403,
  text: `ACCESS_REFUSED - access to topic '${key}' in exchange '${exchange}' in vhost '${vh.name}' refused for user '${user}'`,
})
const sorted = (list: AnyJson[]): AnyJson[] =>
  [...list].sort((a, b) => (`${a.user}/${a.exchange}` < `${b.user}/${b.exchange}` ? -1 : 1))

describe('/api/topic-permissions', () => {
  test('PUT creates (201), then adds or replaces one exchange at a time (204); every list shows them', async () => {
    try {
      assert.equal((await m.api('GET', tpPath())).status, 404)
      assert.equal(await putTopic('amq.topic', '^a', '^b'), 201)
      assert.equal(await putTopic('amq.topic', '^a', '^b'), 204)
      assert.equal(await putTopic('events', '^w', ''), 204)
      assert.equal(await putTopic('events', '^w2', '^r2'), 204)
      const mine = [
        { user: app.name, vhost: vh.name, exchange: 'amq.topic', write: '^a', read: '^b' },
        { user: app.name, vhost: vh.name, exchange: 'events', write: '^w2', read: '^r2' },
      ]
      assert.deepEqual(sorted((await m.api('GET', tpPath())).json), mine)
      assert.deepEqual(
        sorted((await m.api('GET', `/api/users/${seg(app.name)}/topic-permissions`)).json),
        mine,
      )
      assert.deepEqual(sorted((await m.api('GET', `/api/vhosts/${V()}/topic-permissions`)).json), mine)
      const all = (await m.api('GET', '/api/topic-permissions')).json as AnyJson[]
      assert.deepEqual(sorted(all.filter((p) => p.vhost === vh.name)), mine)
      // DELETE with an exchange removes that one only; without, all of them.
      assert.equal((await m.api('DELETE', `${tpPath()}/amq.topic`)).status, 204)
      assert.deepEqual((await m.api('GET', tpPath())).json, [mine[1]])
      assert.equal((await m.api('DELETE', tpPath())).status, 204)
      assert.equal((await m.api('GET', tpPath())).status, 404)
      assert.equal((await m.api('DELETE', tpPath())).status, 404)
      assert.deepEqual((await m.api('GET', `/api/users/${seg(app.name)}/topic-permissions`)).json, [])
    } finally {
      await clearTopic()
    }
  })

  test('refused: missing keys, an unknown user or vhost, an invalid expression; unknown ones are 404', async () => {
    const put = (body: unknown, path = tpPath()) => m.api('PUT', path, { body })
    const bad = (reason: unknown) => ({ error: 'bad_request', reason })
    for (const missing of ['exchange', 'write', 'read']) {
      const body: Record<string, string> = { exchange: 'x', write: '.*', read: '.*' }
      delete body[missing]
      const r = await put(body)
      assert.deepEqual([r.status, r.json], [400, bad(`[{key_missing,${missing}}]`)])
    }
    const body = { exchange: 'x', write: '.*', read: '.*' }
    let r = await put(body, `/api/topic-permissions/${V()}/no-such-user`)
    assert.deepEqual([r.status, r.json], [400, bad('vhost_or_user_not_found')])
    r = await put(body, `/api/topic-permissions/no-such-vhost/${seg(app.name)}`)
    assert.deepEqual([r.status, r.json], [400, bad('vhost_or_user_not_found')])
    r = await put({ exchange: 'x', write: '(', read: '.*' })
    assert.equal(r.status, 400)
    assert.deepEqual(r.json.reason.slice(0, 2), ['invalid_regexp', '('])
    assert.equal((await m.api('GET', tpPath())).status, 404)
    for (const path of [
      `/api/topic-permissions/no-such-vhost/${seg(app.name)}`,
      `/api/topic-permissions/${V()}/no-such-user`,
      '/api/users/no-such-user/topic-permissions',
      '/api/vhosts/no-such-vhost/topic-permissions',
    ]) {
      assert.equal((await m.api('GET', path)).status, 404, path)
    }
  })

  test('deleting the user or the vhost removes the topic permissions', async () => {
    const u = unique('mgmt-topic-gone')
    const v = unique('mgmt-topic-gone')
    await m.api('PUT', `/api/users/${u}`, { body: { password: 'x', tags: '' } })
    await m.api('PUT', `/api/vhosts/${v}`)
    await m.api('PUT', `/api/topic-permissions/${v}/guest`, {
      body: { exchange: 'amq.topic', write: 'a', read: 'b' },
    })
    await m.api('PUT', `/api/topic-permissions/${V()}/${u}`, {
      body: { exchange: 'amq.topic', write: 'a', read: 'b' },
    })
    await m.api('DELETE', `/api/users/${u}`)
    await m.api('DELETE', `/api/vhosts/${v}`)
    const all = (await m.api('GET', '/api/topic-permissions')).json as AnyJson[]
    assert.deepEqual(
      all.filter((p) => p.user === u || p.vhost === v),
      [],
    )
  })
})

describe('what a topic permission governs', () => {
  test('publishing to the topic exchange needs a routing key that matches write: else 403 closes the channel', async () => {
    await putTopic('events', '^allowed\\.', '.*')
    const conn = await login()
    try {
      assert.equal(await publishes(conn, 'events', 'allowed.x'), 'ok')
      assert.deepEqual(await publishes(conn, 'events', 'denied.x'), refusal('denied.x'))
      // Checked on every publish, not only the first of a channel.
      const ch = await channel(conn)
      const closed = channelClosed(ch)
      ch.publish('events', 'allowed.y', Buffer.from('x'))
      ch.publish('events', 'allowed.y', Buffer.from('x'))
      ch.publish('events', 'nope', Buffer.from('x'))
      assert.deepEqual(await closed, refusal('nope'))
    } finally {
      await conn.close().catch(() => {})
      await clearTopic()
    }
  })

  test('the refusal names basic.publish (class 60, method 40), as RabbitMQ does', async () => {
    await putTopic('events', '^allowed\\.', '.*')
    const c = await RawClient.openUrl(m.amqpUrl, { user: app.name, pass: app.password, vhost: vh.name }, [1])
    try {
      c.publish(1, 'events', 'denied', 'x')
      assert.deepEqual(await closeOf(c), channelClose(403, refusal('denied').text, 60, 40))
    } finally {
      c.destroy()
      await clearTopic()
    }
  })

  test('only topic exchanges are checked, only for the user that holds the topic permission', async () => {
    for (const ex of ['plain', 'fan', 'amq.direct'])
      assert.equal(await putTopic(ex, '^$', '^$'), ex === 'plain' ? 201 : 204)
    assert.equal(await putTopic('events', '^$', '^$'), 204)
    const conn = await login()
    const others = await login(other)
    try {
      for (const ex of ['plain', 'fan', 'amq.direct', 'amq.topic'])
        assert.equal(await publishes(conn, ex, 'k'), 'ok', ex)
      assert.deepEqual(await publishes(conn, 'events', 'k'), refusal('k'))
      assert.equal(await publishes(others, 'events', 'k'), 'ok')
      const ch = await channel(conn)
      const q = (await ch.assertQueue('', { exclusive: true })).queue
      await ch.bindQueue(q, 'plain', 'k')
      await ch.bindQueue(q, 'amq.topic', 'k')
      const oc = await channel(others)
      const oq = (await oc.assertQueue('', { exclusive: true })).queue
      await oc.bindQueue(oq, 'events', 'k')
    } finally {
      await Promise.all([conn, others].map((c) => c.close().catch(() => {})))
      await clearTopic()
    }
  })

  test('binding from the topic exchange needs a binding key that matches read: queue and exchange bindings, and unbinding', async () => {
    await putTopic('events', '.*', '^mine\\.')
    const conn = await login()
    try {
      const ch = await channel(conn)
      const q = (await ch.assertQueue('', { exclusive: true })).queue
      await ch.bindQueue(q, 'events', 'mine.#')
      await ch.unbindQueue(q, 'events', 'mine.#')
      const text = (key: string) => refusal(key)
      assert.deepEqual(
        await rejection(async () => (await channel(conn)).bindQueue(q, 'events', '#')),
        text('#'),
      )
      assert.deepEqual(
        await rejection(async () => (await channel(conn)).unbindQueue(q, 'events', 'x')),
        text('x'),
      )
      await ch.assertExchange('dest', 'fanout', { autoDelete: true })
      await ch.bindExchange('dest', 'events', 'mine.a')
      assert.deepEqual(
        await rejection(async () => (await channel(conn)).bindExchange('dest', 'events', 'x')),
        text('x'),
      )
      // A binding *to* the topic exchange is not read from it: not checked.
      await ch.bindExchange('events', 'amq.fanout', 'anything')
      await ch.unbindExchange('events', 'amq.fanout', 'anything')
      await ch.deleteExchange('dest')
    } finally {
      await conn.close().catch(() => {})
      await clearTopic()
    }
  })

  test('an empty expression allows only the empty routing key', async () => {
    await putTopic('events', '', '')
    const conn = await login()
    try {
      assert.equal(await publishes(conn, 'events', ''), 'ok')
      assert.deepEqual(await publishes(conn, 'events', 'a'), refusal('a'))
      const ch = await channel(conn)
      const q = (await ch.assertQueue('', { exclusive: true })).queue
      await ch.bindQueue(q, 'events', '')
      assert.deepEqual(
        await rejection(async () => (await channel(conn)).bindQueue(q, 'events', 'a')),
        refusal('a'),
      )
    } finally {
      await conn.close().catch(() => {})
      await clearTopic()
    }
  })

  test('{username} and {vhost} in an expression stand for the user and the vhost, unescaped', async () => {
    await putTopic('events', '^{username}\\.', '^{vhost}\\.')
    const conn = await login()
    try {
      assert.equal(await publishes(conn, 'events', `${app.name}.x`), 'ok')
      // The user's name holds a '.', which the expression reads as any character, as RabbitMQ's does.
      assert.equal(await publishes(conn, 'events', `${app.name.replace('.', '_')}.x`), 'ok')
      assert.deepEqual(await publishes(conn, 'events', 'someone.x'), refusal('someone.x'))
      assert.deepEqual(await publishes(conn, 'events', '{username}.x'), refusal('{username}.x'))
      const ch = await channel(conn)
      const q = (await ch.assertQueue('', { exclusive: true })).queue
      await ch.bindQueue(q, 'events', `${vh.name}.#`)
      assert.deepEqual(
        await rejection(async () => (await channel(conn)).bindQueue(q, 'events', 'x.#')),
        refusal('x.#'),
      )
    } finally {
      await conn.close().catch(() => {})
      await clearTopic()
    }
  })

  test('a changed or cleared topic permission applies at once to channels already open', async () => {
    await putTopic('events', '^a', '.*')
    const conn = await login()
    try {
      const ch = await channel(conn)
      ch.publish('events', 'a1', Buffer.from('x'))
      await ch.waitForConfirms()
      await putTopic('events', '^b', '.*')
      const closed = channelClosed(ch)
      ch.publish('events', 'a2', Buffer.from('x'))
      assert.deepEqual(await closed, refusal('a2'))
      const next = await channel(conn)
      next.publish('events', 'b1', Buffer.from('x'))
      await next.waitForConfirms()
      await clearTopic()
      next.publish('events', 'a1', Buffer.from('x'))
      await next.waitForConfirms()
    } finally {
      await conn.close().catch(() => {})
      await clearTopic()
    }
  })

  // RabbitMQ's channels remember their last 12 allowed checks and go on allowing them after a change
  // (docs/compatibility.md); Warren forgets what it allowed when the permission changes.
  test('a routing key allowed before the change is checked again', { skip: m.external }, async () => {
    await putTopic('events', '^a', '.*')
    const conn = await login()
    try {
      const ch = await channel(conn)
      ch.publish('events', 'a1', Buffer.from('x'))
      await ch.waitForConfirms()
      await putTopic('events', '^b', '.*')
      const closed = channelClosed(ch)
      ch.publish('events', 'a1', Buffer.from('x'))
      assert.deepEqual(await closed, refusal('a1'))
    } finally {
      await conn.close().catch(() => {})
      await clearTopic()
    }
  })

  test("the HTTP API's publish answers 400 with the channel's error, its bind 401", async () => {
    await putTopic('events', '^ok', '^ok')
    const as = [app.name, app.password] as const
    try {
      const publish = (key: string) =>
        m.api('POST', `/api/exchanges/${V()}/events/publish`, {
          user: as,
          body: { properties: {}, routing_key: key, payload: 'x', payload_encoding: 'string' },
        })
      let r = await publish('ok.1')
      assert.deepEqual([r.status, r.json], [200, { routed: false }])
      r = await publish('no.1')
      assert.deepEqual(
        [r.status, r.json],
        [400, { error: 'bad_request', reason: `403 ${refusal('no.1').text}` }],
      )
      const q = unique('mgmt-topic-q')
      assert.equal(
        (await m.api('PUT', `/api/queues/${V()}/${q}`, { user: as, body: { auto_delete: true } })).status,
        201,
      )
      const bind = (key: string) =>
        m.api('POST', `/api/bindings/${V()}/e/events/q/${q}`, { user: as, body: { routing_key: key } })
      assert.equal((await bind('ok.#')).status, 201)
      r = await bind('no.#')
      assert.deepEqual([r.status, r.json], [401, { error: 'not_authorised', reason: 'Access refused.' }])
      // guest has no topic permission: not checked.
      assert.equal(
        (await m.api('POST', `/api/bindings/${V()}/e/events/q/${q}`, { body: { routing_key: 'no.#' } }))
          .status,
        201,
      )
      await m.api('DELETE', `/api/queues/${V()}/${q}`)
    } finally {
      await clearTopic()
    }
  })
})
