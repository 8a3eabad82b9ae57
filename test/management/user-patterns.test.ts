// Regular expressions from users (policy, permission and listing patterns) run on RE2: a pathological
// pattern cannot stall the broker, patterns RE2 cannot evaluate are refused when saved, and a permission
// pattern means the same over AMQP and over HTTP. With WARREN_TEST_HTTP_URL/WARREN_TEST_URL the first and
// last parts run against the reference RabbitMQ too; the refusals are Warren's own (docs/compatibility.md).
import assert from 'node:assert/strict'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { describe, test } from 'node:test'
import { amqp, scratchUser, scratchVhost, seg, useManagement } from './helpers.js'

const m = useManagement()
const vhost = scratchVhost(m, 'mgmt-patterns')
const v = (): string => seg(vhost.name)
const user = scratchUser(m, 'management', 'mgmt-patterns-user')
const asUser = { user: [user.name, user.password] as const }

/** The 31-character name on which the backtracking engine takes ~28 s to reject ^C(a+)+Z$. */
const EVIL_NAME = 'C' + 'a'.repeat(30)
const EVIL_PATTERN = '^C(a+)+Z$'

/** Runs `fn`, checking that it took less than `ms` and that the event loop (in-process) never stalled. */
async function promptly<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const delay = monitorEventLoopDelay({ resolution: 20 })
  delay.enable()
  const started = performance.now()
  try {
    return await fn()
  } finally {
    delay.disable()
    const took = performance.now() - started
    assert.ok(took < ms, `took ${Math.round(took)} ms`)
    if (!m.external) assert.ok(delay.max / 1e6 < ms / 2, `event loop stalled ${delay.max / 1e6} ms`)
  }
}

async function connectAs(name: string, password: string): Promise<amqp.ChannelModel> {
  const url = new URL(m.amqpUrl)
  url.username = encodeURIComponent(name)
  url.password = encodeURIComponent(password)
  url.pathname = '/' + encodeURIComponent(vhost.name)
  const conn = await amqp.connect(url.href)
  conn.on('error', () => {})
  return conn
}

/** Whether `conn`'s user may declare queue `name` over AMQP (a 403 closes the channel). */
async function declaresOverAmqp(conn: amqp.ChannelModel, name: string): Promise<boolean> {
  const ch = await conn.createChannel()
  ch.on('error', () => {})
  try {
    await ch.assertQueue(name, { durable: false, autoDelete: false })
    await ch.close()
    return true
  } catch (err) {
    assert.match(String(err), /ACCESS_REFUSED|403/)
    return false
  }
}

describe('user patterns run in linear time', () => {
  test('a ^C(a+)+Z$ policy: declaring a 31-character queue answers at once, and so does the API', async () => {
    const put = await m.api('PUT', `/api/policies/${v()}/evil`, {
      body: { pattern: EVIL_PATTERN, definition: { 'max-length': 10 }, 'apply-to': 'queues' },
    })
    assert.equal(put.status, 201, put.text)
    const conn = await m.connect(vhost.name)
    const ch = await conn.createChannel()
    const [declared, whoami] = await promptly(5000, () =>
      Promise.all([ch.assertQueue(EVIL_NAME), m.api('GET', '/api/whoami')]),
    )
    assert.equal(declared.queue, EVIL_NAME)
    assert.equal(whoami.status, 200)
    await ch.deleteQueue(EVIL_NAME)
    await m.api('DELETE', `/api/policies/${v()}/evil`)
  })

  test('a ^C(a+)+Z$ permission or listing filter answers at once too', async () => {
    const perm = { configure: EVIL_PATTERN, write: EVIL_PATTERN, read: EVIL_PATTERN }
    assert.equal((await m.api('PUT', `/api/permissions/${v()}/${user.name}`, { body: perm })).status, 201)
    await m.api('PUT', `/api/queues/${v()}/${EVIL_NAME}`, { body: {} })
    const conn = await connectAs(user.name, user.password)
    try {
      await promptly(5000, async () => {
        assert.equal(await declaresOverAmqp(conn, EVIL_NAME), false)
        const http = await m.api('PUT', `/api/queues/${v()}/${EVIL_NAME}`, { ...asUser, body: {} })
        assert.equal(http.status, 401)
        const q = `page=1&use_regex=true&name=${encodeURIComponent(EVIL_PATTERN)}`
        const listed = await m.api('GET', `/api/queues/${v()}?${q}`)
        assert.equal(listed.status, 200)
        assert.equal(listed.json.filtered_count, 0)
      })
    } finally {
      await conn.close().catch(() => {})
      await m.api('DELETE', `/api/queues/${v()}/${EVIL_NAME}`)
    }
  })
})

describe('a permission pattern means the same over AMQP and HTTP', () => {
  // '\-' and '\p{Lu}' were read differently by the two former compilations (with and without the u flag).
  const perm = { configure: '^a\\-b$|^\\p{Lu}', write: '^amq\\.default$', read: '.*' }
  const names: ReadonlyArray<readonly [string, boolean]> = [
    ['a-b', true],
    ['Queue', true],
    ['queue', false],
    ['p{Lu}x', false],
  ]

  test('configure: the same queues may be declared over both', async () => {
    assert.ok(
      [201, 204].includes(
        (await m.api('PUT', `/api/permissions/${v()}/${user.name}`, { body: perm })).status,
      ),
    )
    const conn = await connectAs(user.name, user.password)
    try {
      for (const [name, allowed] of names) {
        const overAmqp = await declaresOverAmqp(conn, name)
        const http = await m.api('PUT', `/api/queues/${v()}/${seg(name)}`, { ...asUser, body: {} })
        assert.equal(overAmqp, allowed, `AMQP ${name}`)
        assert.equal(http.status === 201 || http.status === 204, allowed, `HTTP ${name}: ${http.status}`)
      }
    } finally {
      await conn.close().catch(() => {})
      for (const [name] of names) await m.api('DELETE', `/api/queues/${v()}/${seg(name)}`)
    }
  })

  test("write: the default exchange is checked as 'amq.default' over both", async () => {
    await m.api('PUT', `/api/permissions/${v()}/${user.name}`, { body: perm })
    const conn = await connectAs(user.name, user.password)
    const ch = await conn.createConfirmChannel()
    ch.publish('', 'nowhere', Buffer.from('x'))
    await ch.waitForConfirms()
    await conn.close()
    const body = { properties: {}, routing_key: 'nowhere', payload: 'x', payload_encoding: 'string' }
    const r = await m.api('POST', `/api/exchanges/${v()}/amq.default/publish`, { ...asUser, body })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.json, { routed: false })
  })
})

describe('patterns RE2 cannot evaluate are refused when saved', { skip: m.external }, () => {
  const lookahead = '^(?!amq\\.).*'

  test('policy PUT: 400 with the reason', async () => {
    const r = await m.api('PUT', `/api/policies/${v()}/look`, {
      body: { pattern: lookahead, definition: { 'max-length': 1 } },
    })
    assert.equal(r.status, 400)
    assert.match(r.json.reason, /^Validation failed\n\npattern should be regular expression but is invalid: /)
    assert.match(r.json.reason, /lookahead, lookbehind and backreferences are not supported/)
    assert.equal((await m.api('GET', `/api/policies/${v()}/look`)).status, 404)
  })

  test('permission PUT: 400 invalid_regexp with the pattern and the reason', async () => {
    const r = await m.api('PUT', `/api/permissions/${v()}/${user.name}`, {
      body: { configure: '.*', write: '(a)\\1', read: '.*' },
    })
    assert.equal(r.status, 400)
    assert.equal(r.json.reason[0], 'invalid_regexp')
    assert.equal(r.json.reason[1], '(a)\\1')
    assert.match(r.json.reason[2], /backreferences are not supported/)
  })

  test('definitions import: 400 before anything is imported', async () => {
    const fresh = 'mgmt-patterns-import'
    const perms = {
      vhosts: [{ name: fresh }],
      permissions: [{ user: 'guest', vhost: fresh, configure: lookahead, write: '', read: '' }],
    }
    const policies = {
      vhosts: [{ name: fresh }],
      policies: [{ vhost: fresh, name: 'p', pattern: '(?<=x)y', definition: { 'max-length': 1 } }],
    }
    for (const defs of [perms, policies]) {
      const r = await m.api('POST', '/api/definitions', { body: defs })
      assert.equal(r.status, 400, r.text)
      assert.equal((await m.api('GET', `/api/vhosts/${fresh}`)).status, 404)
    }
  })
})
