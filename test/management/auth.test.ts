import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { scratchUser, scratchVhost, seg, useManagement } from './helpers.js'

const m = useManagement()
const vhost = scratchVhost(m, 'mgmt-auth')
const none = scratchUser(m, '')
const mgmt = scratchUser(m, 'management')
const monitor = scratchUser(m, 'monitoring')
const policy = scratchUser(m, 'policymaker')
const noWrite = scratchUser(m, 'management')

describe('management API authentication and tags', () => {
  test('no credentials: 401 with an empty body and the Basic realm', async () => {
    const r = await m.api('GET', '/api/overview', { user: null })
    assert.equal(r.status, 401)
    assert.equal(r.text, '')
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="RabbitMQ Management"')
  })

  test('a wrong password or unknown user: 401 not_authorized "Login failed"', async () => {
    for (const user of [
      ['guest', 'wrong'],
      ['no-such-user', 'x'],
    ] as const) {
      const r = await m.api('GET', '/api/whoami', { user })
      assert.equal(r.status, 401)
      assert.deepEqual(r.json, { error: 'not_authorized', reason: 'Login failed' })
    }
  })

  test('a user without a management tag: 401 "Not management user"', async () => {
    const r = await m.api('GET', '/api/whoami', { user: [none.name, none.password] })
    assert.equal(r.status, 401)
    assert.deepEqual(r.json, { error: 'not_authorised', reason: 'Not management user' })
  })

  test('whoami names the user and its tags', async () => {
    assert.deepEqual((await m.api('GET', '/api/whoami')).json, { name: 'guest', tags: ['administrator'] })
    const r = await m.api('GET', '/api/whoami', { user: [mgmt.name, mgmt.password] })
    assert.deepEqual(r.json, { name: mgmt.name, tags: ['management'] })
  })

  test('administrator-only endpoints refuse other users', async () => {
    for (const user of [mgmt, monitor, policy]) {
      for (const path of ['/api/users', '/api/definitions', '/api/permissions']) {
        const r = await m.api('GET', path, { user: [user.name, user.password] })
        assert.equal(r.status, 401, `${user.name} ${path}`)
        assert.deepEqual(r.json, { error: 'not_authorised', reason: 'Not administrator user' })
      }
    }
    const put = await m.api('PUT', '/api/vhosts/not-made', { user: [monitor.name, monitor.password] })
    assert.equal(put.status, 401)
  })

  test('monitor endpoints need the monitoring (or administrator) tag', async () => {
    const r = await m.api('GET', '/api/nodes', { user: [mgmt.name, mgmt.password] })
    assert.deepEqual(r.json, { error: 'not_authorised', reason: 'Not monitor user' })
    assert.equal((await m.api('GET', '/api/nodes', { user: [monitor.name, monitor.password] })).status, 200)
  })

  test('parameters need the policymaker tag; policies are readable by management users', async () => {
    assert.equal(
      (await m.api('GET', '/api/parameters', { user: [policy.name, policy.password] })).status,
      200,
    )
    assert.equal((await m.api('GET', '/api/parameters', { user: [mgmt.name, mgmt.password] })).status, 401)
    assert.equal((await m.api('GET', '/api/policies', { user: [mgmt.name, mgmt.password] })).status, 200)
  })

  test('a management user sees only vhosts it has permissions in', async () => {
    const asMgmt = { user: [mgmt.name, mgmt.password] as const }
    const names = async (): Promise<string[]> =>
      ((await m.api('GET', '/api/vhosts', asMgmt)).json as Array<{ name: string }>).map((v) => v.name)
    assert.ok(!(await names()).includes(vhost.name))
    const q = await m.api('GET', `/api/queues/${seg(vhost.name)}`, asMgmt)
    assert.deepEqual(q.json, {
      error: 'not_authorised',
      reason: 'User not authorised to access virtual host',
    })
    const perm = { configure: '^mine-', write: '.*', read: '.*' }
    assert.equal(
      (await m.api('PUT', `/api/permissions/${seg(vhost.name)}/${mgmt.name}`, { body: perm })).status,
      201,
    )
    assert.deepEqual(await names(), [vhost.name])
    // configure permission is checked against the queue name
    const refused = await m.api('PUT', `/api/queues/${seg(vhost.name)}/other`, { ...asMgmt, body: {} })
    assert.equal(refused.status, 401)
    assert.deepEqual(refused.json, { error: 'not_authorised', reason: 'Access refused.' })
    assert.equal(
      (await m.api('PUT', `/api/queues/${seg(vhost.name)}/mine-q`, { ...asMgmt, body: {} })).status,
      201,
    )
  })

  test('declares through the API check what queue.declare checks: a dead-letter exchange needs write', async () => {
    const as = { user: [noWrite.name, noWrite.password] as const }
    const perm = { configure: '.*', write: '^$', read: '.*' }
    await m.api('PUT', `/api/permissions/${seg(vhost.name)}/${noWrite.name}`, { body: perm })
    const withDlx = { durable: false, arguments: { 'x-dead-letter-exchange': 'dlx' } }
    const refused = await m.api('PUT', `/api/queues/${seg(vhost.name)}/dlq-refused`, { ...as, body: withDlx })
    assert.equal(refused.status, 401)
    assert.deepEqual(refused.json, { error: 'not_authorised', reason: 'Access refused.' })
    assert.equal((await m.api('GET', `/api/queues/${seg(vhost.name)}/dlq-refused`)).status, 404)
    const plain = await m.api('PUT', `/api/queues/${seg(vhost.name)}/dlq-plain`, { ...as, body: {} })
    assert.equal(plain.status, 201)
    // queue.bind needs write on the queue
    const bind = await m.api('POST', `/api/bindings/${seg(vhost.name)}/e/amq.direct/q/dlq-plain`, {
      ...as,
      body: { routing_key: 'k' },
    })
    assert.equal(bind.status, 401)
    assert.equal((await m.api('DELETE', `/api/queues/${seg(vhost.name)}/dlq-plain`, as)).status, 204)
  })

  test('monitors see every vhost without permissions', async () => {
    const r = await m.api('GET', '/api/vhosts?columns=name', { user: [monitor.name, monitor.password] })
    assert.ok((r.json as Array<{ name: string }>).some((v) => v.name === vhost.name))
  })
})

describe('management authorisation rules (unit)', { skip: m.external }, () => {
  test('users in loopback_users may log in from loopback addresses only', async () => {
    const { authenticate } = await import('../../src/management/auth.js')
    const ctx = {
      broker: m.broker.broker,
      users: m.broker.users,
      loopbackUsers: ['guest'],
    } as unknown as Parameters<typeof authenticate>[0]
    const headers = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') }
    assert.equal(authenticate(ctx, { headers, ip: '127.0.0.1' }, 'management').name, 'guest')
    assert.equal(authenticate(ctx, { headers, ip: '::ffff:127.0.0.1' }, 'management').name, 'guest')
    // Anything that is not a loopback IP is refused, including an empty or missing peer address.
    for (const ip of ['10.1.2.3', '', 'localhost', '::ffff:10.0.0.1']) {
      assert.throws(() => authenticate(ctx, { headers, ip }, 'management'), {
        reason: 'User can only log in via localhost',
      })
    }
  })

  test('permission regular expressions are unanchored; an empty one allows nothing', async () => {
    const { permits } = await import('../../src/auth/index.js')
    const p = { configure: '', write: 'abc', read: '^x$' }
    assert.equal(permits(p, 'configure', 'queue', 'q'), false)
    assert.equal(permits(p, 'configure', 'queue', ''), true)
    assert.equal(permits(p, 'write', 'queue', 'xxabcxx'), true)
    assert.equal(permits(p, 'read', 'queue', 'x'), true)
    assert.equal(permits(p, 'read', 'queue', 'xx'), false)
    assert.equal(permits(undefined, 'read', 'queue', 'x'), false)
  })
})
