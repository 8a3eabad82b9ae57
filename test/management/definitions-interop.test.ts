// Definitions exported by RabbitMQ 3.10.8 (GET /api/definitions, test/fixtures/rabbitmq-3.10-definitions.json)
// imported into Warren (POST /api/definitions): users keep RabbitMQ's password hashes and log in with their
// passwords, permissions are enforced, exchanges (alternate exchanges, exchange-to-exchange bindings, an
// internal one), queues with x- arguments, bindings with arguments and policies arrive and behave as on
// RabbitMQ. The fixture is RabbitMQ's own export of objects made for it on the reference node, cut down to
// them (other objects on that node were dropped); the passwords below are the ones they were created with.
// The Warren→RabbitMQ direction needs a live RabbitMQ and is described in docs/management.md.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import amqp from 'amqplib'
import { type RunningBroker, startBroker } from '../../src/index.js'
import { type AnyJson, request, seg } from './helpers.js'

type Obj = Record<string, AnyJson>
const fixture = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/rabbitmq-3.10-definitions.json', import.meta.url), 'utf8'),
) as Record<string, AnyJson> & Record<'users' | 'vhosts' | 'permissions' | 'policies', Obj[]>

const VHOST = fixture.vhosts[0]?.['name'] as string
const V = seg(VHOST)
const userNamed = (role: string): string => {
  const u = fixture.users.find((x) => (x['name'] as string).startsWith(`interop-${role}-`))
  if (!u) throw new Error(`fixture has no interop-${role}- user`)
  return u['name'] as string
}
const ADMIN = userNamed('admin')
const OPS = userNamed('ops')
const APP = userNamed('app')
const VIEWER = userNamed('viewer')
const PASSWORDS: Record<string, string> = {
  [ADMIN]: 'admin-pw-1',
  [OPS]: 'ops-pw-2',
  [APP]: 'app-pw-3',
  [VIEWER]: 'viewer-pw-4',
}

const state: { broker?: RunningBroker } = {}
const open: amqp.ChannelModel[] = []
before(async () => {
  state.broker = await startBroker({ amqpPort: 0, httpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
})
after(async () => {
  await Promise.all(open.map((c) => c.close().catch(() => {})))
  await state.broker?.close()
})
const broker = (): RunningBroker => {
  if (!state.broker) throw new Error('broker not started')
  return state.broker
}
const api = (method: string, path: string, o: Parameters<typeof request>[3] = {}) =>
  request(broker().httpUrl, method, path, o)

async function login(user: string, password = PASSWORDS[user] as string): Promise<amqp.ChannelModel> {
  const url = new URL(broker().amqpUrl)
  url.username = encodeURIComponent(user)
  url.password = encodeURIComponent(password)
  url.pathname = '/' + encodeURIComponent(VHOST)
  const conn = await amqp.connect(url.toString())
  conn.on('error', () => {})
  open.push(conn)
  return conn
}

/** The error a channel of `user`'s connection is closed with by `op`. */
async function refused(user: string, op: (ch: amqp.Channel) => Promise<unknown>): Promise<string> {
  const conn = await login(user)
  const ch = await conn.createChannel()
  ch.on('error', () => {})
  try {
    await op(ch)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('operation was not refused')
}

async function drain(ch: amqp.Channel, queue: string): Promise<string[]> {
  const out: string[] = []
  for (;;) {
    const m = await ch.get(queue, { noAck: true })
    if (m === false) return out
    out.push(m.content.toString())
  }
}

/** JSON with every object's keys sorted (RabbitMQ sorts argument keys in its export, Warren keeps their order). */
const sortedJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  )
/** Objects of one kind as sorted canonical JSON strings, for an order-insensitive comparison. */
const canon = (list: Obj[]): string[] => list.map(sortedJson).sort()
const inVhost = (list: Obj[]): Obj[] => list.filter((o) => o['vhost'] === VHOST)

describe('definitions exported by RabbitMQ 3.10 imported into Warren', () => {
  test('the import is accepted', async () => {
    assert.equal(fixture['rabbitmq_version'], '3.10.8')
    const r = await api('POST', '/api/definitions', { body: fixture })
    assert.equal(r.status, 204, r.text)
  })

  test('users keep their RabbitMQ password hashes and tags', async () => {
    for (const u of fixture.users) {
      const r = await api('GET', `/api/users/${seg(u['name'])}`)
      assert.equal(r.status, 200)
      assert.equal(r.json.password_hash, u['password_hash'])
      assert.equal(r.json.hashing_algorithm, 'rabbit_password_hashing_sha256')
      assert.deepEqual(r.json.tags, u['tags'])
    }
    assert.ok(((await api('GET', '/api/vhosts')).json as Obj[]).some((v) => v['name'] === VHOST))
  })

  test('every imported user logs in over AMQP with its password, and not with a wrong one', async () => {
    for (const user of [ADMIN, OPS, APP, VIEWER]) {
      const conn = await login(user)
      await conn.close()
    }
    await assert.rejects(login(APP, 'not-the-password'), /ACCESS_REFUSED|403/)
  })

  test('the HTTP API honours the imported tags', async () => {
    const as = (u: string): [string, string] => [u, PASSWORDS[u] as string]
    assert.equal((await api('GET', '/api/users', { user: as(ADMIN) })).status, 200)
    assert.equal((await api('GET', `/api/queues/${V}`, { user: as(VIEWER) })).status, 200)
    assert.equal((await api('GET', '/api/users', { user: as(VIEWER) })).status, 401)
    assert.equal((await api('GET', '/api/nodes', { user: as(OPS) })).status, 200) // monitoring
    assert.equal((await api('GET', '/api/overview', { user: as(APP) })).status, 401) // no tags
  })

  test('permissions arrive and are enforced', async () => {
    const listed = inVhost((await api('GET', '/api/permissions')).json as Obj[])
    assert.deepEqual(canon(listed), canon(inVhost(fixture.permissions)))
    // app: configure ^app\.  write ^(app\.|orders)  read ^app\.
    const conn = await login(APP)
    const ch = await conn.createChannel()
    await ch.assertQueue('app.scratch', { exclusive: true })
    assert.ok(ch.publish('orders', 'order.new', Buffer.from('from app')))
    await ch.close()
    assert.match(await refused(APP, (c) => c.assertQueue('ops.scratch')), /ACCESS_REFUSED/)
    assert.match(await refused(APP, (c) => c.get('ops.limited')), /ACCESS_REFUSED/)
    assert.match(await refused(VIEWER, (c) => c.assertQueue('app.viewer')), /ACCESS_REFUSED/)
  })

  test('exchanges, queues and bindings arrive exactly as exported', async () => {
    const exported = (await api('GET', '/api/definitions')).json as Record<string, Obj[]>
    for (const kind of ['exchanges', 'queues', 'bindings'] as const) {
      assert.deepEqual(canon(inVhost(exported[kind] ?? [])), canon(inVhost(fixture[kind] as Obj[])), kind)
    }
    const q = (await api('GET', `/api/queues/${V}/app.orders`)).json as Obj
    assert.equal(q['durable'], true)
    assert.equal(q['arguments']['x-overflow'], 'reject-publish')
    const audit = (await api('GET', `/api/exchanges/${V}/audit`)).json as Obj
    assert.equal(audit['internal'], true)
  })

  test('policies arrive as exported', async () => {
    const listed = (await api('GET', `/api/policies/${V}`)).json as Obj[]
    assert.deepEqual(canon(listed), canon(inVhost(fixture.policies)))
  })

  test('the imported topology routes as on RabbitMQ: topic, exchange-to-exchange, headers any/all', async () => {
    const conn = await login(ADMIN)
    const ch = await conn.createConfirmChannel()
    for (const q of ['app.orders', 'app.audit', 'app.match', 'app.unrouted']) await ch.purgeQueue(q)
    ch.publish('orders', 'order.new', Buffer.from('o1'))
    ch.publish('orders', 'order.eu.fr', Buffer.from('o2'))
    ch.publish('orders', 'invoice', Buffer.from('o3'))
    ch.publish('match', '', Buffer.from('h-all'), { headers: { format: 'pdf', type: 'report' } })
    ch.publish('match', '', Buffer.from('h-any'), { headers: { priority: 'high' } })
    await ch.waitForConfirms()
    assert.deepEqual(await drain(ch, 'app.orders'), ['o1', 'o2'])
    assert.deepEqual(await drain(ch, 'app.audit'), ['o1', 'o2', 'o3']) // orders -> audit (internal) by '#'
    assert.deepEqual(await drain(ch, 'app.match'), ['h-all', 'h-any'])
  })

  test('the imported policies apply: max-length with drop-head, dead-lettering, an alternate exchange', async () => {
    const conn = await login(ADMIN)
    const ch = await conn.createConfirmChannel()
    for (const q of ['ops.limited', 'ops.ttl', 'app.orders.dead', 'app.unrouted']) await ch.purgeQueue(q)
    // ops-limit: {max-length: 2, overflow: drop-head}
    for (let i = 1; i <= 5; i++) ch.sendToQueue('ops.limited', Buffer.from(`m${i}`))
    await ch.waitForConfirms()
    assert.deepEqual(await drain(ch, 'ops.limited'), ['m4', 'm5'])
    // ops-ttl: {dead-letter-exchange: orders.dlx, dead-letter-routing-key: dead}; a rejected message goes there
    ch.sendToQueue('ops.ttl', Buffer.from('rejected'))
    await ch.waitForConfirms()
    const m = await ch.get('ops.ttl')
    assert.ok(m)
    ch.nack(m, false, false)
    const deadline = Date.now() + 2000
    let dead: amqp.GetMessage | false = false
    while (dead === false && Date.now() < deadline) dead = await ch.get('app.orders.dead', { noAck: true })
    assert.ok(dead, 'dead-lettered through the policy')
    assert.equal(dead.content.toString(), 'rejected')
    assert.equal(dead.fields.routingKey, 'dead')
    // match-ae: {alternate-exchange: orders.ae} on the headers exchange; orders.ae fans out to app.unrouted
    ch.publish('match', '', Buffer.from('no match'), { headers: { format: 'pdf' } })
    await ch.waitForConfirms()
    assert.deepEqual(await drain(ch, 'app.unrouted'), ['no match'])
  })

  test('operator policies, exported by RabbitMQ as parameters of component operator_policy, arrive', async () => {
    const op = (await api('GET', `/api/operator-policies/${V}`)).json as Obj[]
    assert.deepEqual(
      op.map((p) => [p['name'], p['pattern'], p['definition']]),
      [['op-cap', '^app\\.', { 'max-length': 5000 }]],
    )
  })

  test('vhost limits (parameters) and topic permissions arrive, and are enforced', async () => {
    const limits = (await api('GET', `/api/vhost-limits/${V}`)).json as Obj[]
    assert.deepEqual(limits[0]?.['value'], { 'max-connections': 100 })
    const tp = inVhost((await api('GET', '/api/topic-permissions')).json as Obj[])
    assert.deepEqual(
      tp.map((p) => [p['user'], p['exchange'], p['write']]),
      [[APP, 'orders', '^order\\.']],
    )
    // app may publish to the topic exchange 'orders' only with keys starting 'order.'
    const ch = await (await login(APP)).createConfirmChannel()
    ch.publish('orders', 'order.new', Buffer.from('allowed'))
    await ch.waitForConfirms()
    const closed = new Promise<Error>((resolve) => ch.once('error', resolve))
    ch.publish('orders', 'invoice', Buffer.from('refused'))
    assert.match(
      (await closed).message,
      /ACCESS_REFUSED - access to topic 'invoice' in exchange 'orders' in vhost '[^']+' refused for user 'interop-app-/,
    )
  })

  test('the export carries them back as RabbitMQ wrote them', async () => {
    const exported = (await api('GET', '/api/definitions')).json as Record<string, Obj[]>
    const params = (d: Record<string, unknown>): Obj[] =>
      inVhost((d['parameters'] ?? []) as Obj[]).filter((p) => p['component'] === 'vhost-limits')
    assert.deepEqual(canon(params(exported)), canon(params(fixture)))
    assert.deepEqual(
      canon(inVhost(exported['topic_permissions'] ?? [])),
      canon(inVhost(fixture['topic_permissions'] as Obj[])),
    )
  })
})
