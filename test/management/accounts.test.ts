import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { eventually, scratchUser, seg, unique, useManagement } from './helpers.js'

const m = useManagement()

describe('/api/vhosts', () => {
  test('PUT creates (201) then updates (204); the creator gets full permissions', async () => {
    const name = unique('mgmt-vh')
    const put = await m.api('PUT', `/api/vhosts/${seg(name)}`, {
      body: { description: 'first', tags: 'a,b' },
    })
    assert.equal(put.status, 201)
    const v = (await m.api('GET', `/api/vhosts/${seg(name)}`)).json
    assert.equal(v.name, name)
    assert.equal(v.description, 'first')
    assert.deepEqual(v.tags, ['a', 'b'])
    assert.deepEqual(v.metadata, { description: 'first', tags: ['a', 'b'] })
    assert.equal(v.tracing, false)
    assert.equal(
      (await m.api('PUT', `/api/vhosts/${seg(name)}`, { body: { description: 'second' } })).status,
      204,
    )
    assert.equal((await m.api('GET', `/api/vhosts/${seg(name)}`)).json.description, 'second')
    const perm = await m.api('GET', `/api/permissions/${seg(name)}/guest`)
    assert.deepEqual(perm.json, { user: 'guest', vhost: name, configure: '.*', write: '.*', read: '.*' })
    // ... so an AMQP client can use it at once (rascal relies on this)
    const conn = await m.connect(name)
    await conn.close()
    assert.equal((await m.api('DELETE', `/api/vhosts/${seg(name)}`)).status, 204)
    assert.equal((await m.api('GET', `/api/vhosts/${seg(name)}`)).status, 404)
    assert.equal((await m.api('DELETE', `/api/vhosts/${seg(name)}`)).status, 404)
  })

  test('the default vhost is listed, with message totals and rates', async () => {
    const list = (await m.api('GET', '/api/vhosts')).json as Array<Record<string, unknown>>
    const v = list.find((x) => x['name'] === '/') as Record<string, unknown>
    for (const k of [
      'messages',
      'messages_ready',
      'messages_unacknowledged',
      'message_stats',
      'cluster_state',
    ]) {
      assert.ok(k in v, k)
    }
  })

  test('deleting a vhost cancels its consumers and closes its connections with 320', async () => {
    const name = unique('mgmt-vh-del')
    await m.api('PUT', `/api/vhosts/${seg(name)}`)
    const conn = await m.connect(name)
    const closed = new Promise<Error>((resolve) => conn.on('close', resolve))
    const ch = await conn.createChannel()
    await ch.assertQueue('q')
    let onCancel = (): void => {}
    const cancelled = new Promise<void>((resolve) => (onCancel = resolve))
    await ch.consume('q', (msg) => {
      if (msg === null) onCancel()
    })
    assert.equal((await m.api('DELETE', `/api/vhosts/${seg(name)}`)).status, 204)
    await cancelled
    const err = await closed
    assert.match(
      String(err),
      /320 \(CONNECTION-FORCED\) with message "CONNECTION_FORCED - vhost '.*' is (deleted|down)"/,
    )
  })
})

describe('/api/users', () => {
  test('PUT with a password creates a user who can log in; tags as string or list', async () => {
    const name = unique('mgmt-u')
    assert.equal(
      (await m.api('PUT', `/api/users/${name}`, { body: { password: 'pw1', tags: 'management' } })).status,
      201,
    )
    const u = (await m.api('GET', `/api/users/${name}`)).json
    assert.equal(u.name, name)
    assert.deepEqual(u.tags, ['management'])
    assert.equal(u.hashing_algorithm, 'rabbit_password_hashing_sha256')
    assert.match(u.password_hash, /^[A-Za-z0-9+/]{48}$/)
    assert.deepEqual(u.limits, {})
    assert.equal((await m.api('GET', '/api/whoami', { user: [name, 'pw1'] })).status, 200)
    assert.equal(
      (
        await m.api('PUT', `/api/users/${name}`, {
          body: { password: 'pw2', tags: ['monitoring', 'management'] },
        })
      ).status,
      204,
    )
    assert.equal((await m.api('GET', '/api/whoami', { user: [name, 'pw1'] })).status, 401)
    assert.deepEqual((await m.api('GET', '/api/whoami', { user: [name, 'pw2'] })).json.tags, [
      'monitoring',
      'management',
    ])
    assert.equal((await m.api('DELETE', `/api/users/${name}`)).status, 204)
    assert.equal((await m.api('GET', `/api/users/${name}`)).status, 404)
    assert.equal((await m.api('DELETE', `/api/users/${name}`)).status, 404)
  })

  test('PUT with password_hash keeps the hash, and the password it hashes works', async () => {
    const a = unique('mgmt-ua')
    const b = unique('mgmt-ub')
    await m.api('PUT', `/api/users/${a}`, { body: { password: 'secret', tags: 'management' } })
    const hash = (await m.api('GET', `/api/users/${a}`)).json.password_hash
    const put = await m.api('PUT', `/api/users/${b}`, {
      body: { password_hash: hash, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: 'management' },
    })
    assert.equal(put.status, 201)
    assert.equal((await m.api('GET', `/api/users/${b}`)).json.password_hash, hash)
    assert.equal((await m.api('GET', '/api/whoami', { user: [b, 'secret'] })).status, 200)
    const bulk = await m.api('POST', '/api/users/bulk-delete', { body: { users: [a, b] } })
    assert.equal(bulk.status, 204)
    assert.equal((await m.api('GET', `/api/users/${a}`)).status, 404)
  })

  test('PUT errors: no tags, a password_hash that is not base64', async () => {
    const name = unique('mgmt-ux')
    assert.deepEqual((await m.api('PUT', `/api/users/${name}`, { body: { password: 'x' } })).json, {
      error: 'bad_request',
      reason: 'tags_not_present',
    })
    assert.deepEqual(
      (await m.api('PUT', `/api/users/${name}`, { body: { password_hash: 'abc', tags: '' } })).json,
      {
        error: 'bad_request',
        reason: ['not_base64', 'abc'],
      },
    )
  })

  test('a user without a password cannot log in', async () => {
    const name = unique('mgmt-np')
    assert.equal((await m.api('PUT', `/api/users/${name}`, { body: { tags: 'management' } })).status, 201)
    assert.equal((await m.api('GET', '/api/whoami', { user: [name, ''] })).status, 401)
    await m.api('DELETE', `/api/users/${name}`)
  })

  test('without-permissions lists users with no permission entry', async () => {
    const name = unique('mgmt-wp')
    await m.api('PUT', `/api/users/${name}`, { body: { password: 'x', tags: '' } })
    const names = async (): Promise<string[]> =>
      ((await m.api('GET', '/api/users/without-permissions')).json as Array<{ name: string }>).map(
        (u) => u.name,
      )
    assert.ok((await names()).includes(name))
    await m.api('PUT', `/api/permissions/%2F/${name}`, { body: { configure: '', write: '', read: '.*' } })
    assert.ok(!(await names()).includes(name))
    await m.api('DELETE', `/api/users/${name}`)
  })
})

describe('/api/permissions', () => {
  const user = scratchUser(m, 'management', 'mgmt-perm')

  test('PUT (201 then 204), GET in three listings, DELETE (204 then 404)', async () => {
    const path = `/api/permissions/%2F/${user.name}`
    const p = { configure: '^c', write: '^w', read: '^r' }
    assert.equal((await m.api('PUT', path, { body: p })).status, 201)
    assert.equal((await m.api('PUT', path, { body: p })).status, 204)
    const expected = { user: user.name, vhost: '/', ...p }
    assert.deepEqual((await m.api('GET', path)).json, expected)
    const all = (await m.api('GET', '/api/permissions')).json as unknown[]
    assert.ok(all.some((x) => JSON.stringify(x) === JSON.stringify(expected)))
    assert.deepEqual((await m.api('GET', `/api/users/${user.name}/permissions`)).json, [expected])
    const byVhost = (await m.api('GET', '/api/vhosts/%2F/permissions')).json as Array<{ user: string }>
    assert.ok(byVhost.some((x) => x.user === user.name))
    assert.equal((await m.api('DELETE', path)).status, 204)
    assert.equal((await m.api('DELETE', path)).status, 404)
    assert.equal((await m.api('GET', path)).status, 404)
  })

  test('PUT errors: a missing key, an unknown vhost or user, a bad regular expression', async () => {
    const r1 = await m.api('PUT', `/api/permissions/%2F/${user.name}`, {
      body: { configure: '.*', write: '.*' },
    })
    assert.deepEqual(r1.json, { error: 'bad_request', reason: '[{key_missing,read}]' })
    const body = { configure: '.*', write: '.*', read: '.*' }
    for (const path of [`/api/permissions/no-such-vhost/${user.name}`, '/api/permissions/%2F/no-such-user']) {
      assert.deepEqual((await m.api('PUT', path, { body })).json, {
        error: 'bad_request',
        reason: 'vhost_or_user_not_found',
      })
    }
    const bad = await m.api('PUT', `/api/permissions/%2F/${user.name}`, { body: { ...body, configure: '(' } })
    assert.equal(bad.status, 400)
    assert.equal(bad.json.reason[0], 'invalid_regexp')
  })

  test('revoking permissions takes effect for the management API at once', async () => {
    const path = `/api/permissions/%2F/${user.name}`
    await m.api('PUT', path, { body: { configure: '.*', write: '.*', read: '.*' } })
    const asUser = { user: [user.name, user.password] as const }
    await eventually(async () => (await m.api('GET', '/api/queues/%2F', asUser)).status === 200)
    await m.api('DELETE', path)
    assert.equal((await m.api('GET', '/api/queues/%2F', asUser)).status, 401)
  })
})
