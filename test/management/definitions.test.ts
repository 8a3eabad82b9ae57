import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type RunningBroker, startBroker } from '../../src/index.js'
import { request, scratchVhost, seg, unique, useManagement } from './helpers.js'

const m = useManagement()
const vh = scratchVhost(m, 'mgmt-defs')
const v = (): string => seg(vh.name)

type Defs = Record<string, Array<Record<string, unknown>>> & { rabbit_version: string }

describe('/api/definitions', () => {
  const user = unique('mgmt-defs-user')
  before(async () => {
    await m.api('PUT', `/api/users/${user}`, { body: { password: 'round-trip', tags: 'management' } })
    await m.api('PUT', `/api/permissions/${v()}/${user}`, {
      body: { configure: '^c', write: '^w', read: '^r' },
    })
    await m.api('PUT', `/api/exchanges/${v()}/dx`, {
      body: { type: 'topic', durable: true, arguments: { 'alternate-exchange': 'ae' } },
    })
    await m.api('PUT', `/api/exchanges/${v()}/ae`, { body: { type: 'fanout', durable: true } })
    await m.api('PUT', `/api/queues/${v()}/dq`, {
      body: { durable: true, arguments: { 'x-max-length': 5, 'x-queue-mode': 'lazy' } },
    })
    await m.api('PUT', `/api/queues/${v()}/tq`, { body: { durable: false, auto_delete: true } })
    await m.api('POST', `/api/bindings/${v()}/e/dx/q/dq`, {
      body: { routing_key: 'a.*', arguments: { k: 'v' } },
    })
    await m.api('POST', `/api/bindings/${v()}/e/dx/e/ae`, { body: { routing_key: 'x' } })
    await m.api('PUT', `/api/topic-permissions/${v()}/${user}`, {
      body: { exchange: 'dx', write: '^w\\.', read: '' },
    })
    await m.api('PUT', `/api/vhost-limits/${v()}/max-queues`, { body: { value: 100 } })
    await m.api('PUT', `/api/vhost-limits/${v()}/max-connections`, { body: { value: 50 } })
    await m.api('PUT', `/api/user-limits/${user}/max-channels`, { body: { value: 20 } })
  })
  after(async () => {
    await m.api('DELETE', `/api/users/${user}`)
  })

  test('export has RabbitMQ format: versions, users with hash and algorithm, vhosts, permissions, topology', async () => {
    const r = await m.api('GET', '/api/definitions')
    assert.equal(r.status, 200)
    const d = r.json as Defs
    assert.match(d.rabbit_version, /^3\./)
    for (const k of [
      'users',
      'vhosts',
      'permissions',
      'topic_permissions',
      'parameters',
      'global_parameters',
      'policies',
      'queues',
      'exchanges',
      'bindings',
    ]) {
      assert.ok(Array.isArray(d[k]), k)
    }
    const u = d['users']?.find((x) => x['name'] === user) as Record<string, unknown>
    assert.equal(u['hashing_algorithm'], 'rabbit_password_hashing_sha256')
    assert.equal(typeof u['password_hash'], 'string')
    assert.deepEqual(u['tags'], ['management'])
    assert.ok(d['vhosts']?.some((x) => x['name'] === vh.name))
    assert.deepEqual(
      d['permissions']?.find((p) => p['user'] === user),
      { user, vhost: vh.name, configure: '^c', write: '^w', read: '^r' },
    )
    assert.deepEqual(
      d['queues']?.find((q) => q['name'] === 'dq' && q['vhost'] === vh.name),
      {
        name: 'dq',
        vhost: vh.name,
        durable: true,
        auto_delete: false,
        arguments: { 'x-max-length': 5, 'x-queue-mode': 'lazy' },
      },
    )
    assert.ok(d['exchanges']?.every((e) => !(e['name'] as string).startsWith('amq.') && e['name'] !== ''))
    assert.deepEqual(
      d['bindings']?.find((b) => b['source'] === 'dx' && b['destination'] === 'dq'),
      {
        source: 'dx',
        vhost: vh.name,
        destination: 'dq',
        destination_type: 'queue',
        routing_key: 'a.*',
        arguments: { k: 'v' },
      },
    )
  })

  test('export has topic permissions, vhost limits as vhost-limits parameters, and user limits', async () => {
    const d = (await m.api('GET', '/api/definitions')).json as Defs
    assert.deepEqual(
      d['topic_permissions']?.filter((p) => p['user'] === user),
      [{ user, vhost: vh.name, exchange: 'dx', write: '^w\\.', read: '' }],
    )
    assert.deepEqual(
      d['parameters']?.filter((p) => p['vhost'] === vh.name),
      [
        {
          value: { 'max-connections': 50, 'max-queues': 100 },
          vhost: vh.name,
          component: 'vhost-limits',
          name: 'limits',
        },
      ],
    )
    assert.deepEqual(d['users']?.find((u) => u['name'] === user)?.['limits'], { 'max-channels': 20 })
    const one = (await m.api('GET', `/api/definitions/${v()}`)).json as Defs
    assert.deepEqual(
      one['parameters']?.filter((p) => p['component'] === 'vhost-limits'),
      [
        {
          value: { 'max-connections': 50, 'max-queues': 100 },
          vhost: vh.name,
          component: 'vhost-limits',
          name: 'limits',
        },
      ],
    )
  })

  test('per-vhost export leaves out vhost fields and accounts', async () => {
    const d = (await m.api('GET', `/api/definitions/${v()}`)).json as Defs
    assert.ok(!('users' in d))
    assert.ok(d['queues']?.every((q) => !('vhost' in q)))
    assert.deepEqual(d['queues']?.map((q) => q['name']).sort(), ['dq', 'tq'])
    assert.deepEqual((await m.api('GET', '/api/definitions/no-such-vhost')).json, {
      error: 'bad_request',
      reason: 'vhost_not_found',
    })
  })

  test('download= sets Content-Disposition', async () => {
    const r = await m.api('GET', '/api/definitions?download=defs.json')
    assert.equal(r.headers.get('content-disposition'), 'attachment; filename=defs.json')
  })

  test(
    'export → import into a fresh broker round-trips everything, and passwords still work',
    { skip: m.external },
    async () => {
      const exported = (await m.api('GET', '/api/definitions')).json as Defs
      let fresh: RunningBroker | undefined
      try {
        fresh = await startBroker({ amqpPort: 0, httpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
        const post = await request(fresh.httpUrl, 'POST', '/api/definitions', { body: exported })
        assert.equal(post.status, 204, post.text)
        const again = (await request(fresh.httpUrl, 'GET', '/api/definitions')).json as Defs
        for (const k of [
          'users',
          'vhosts',
          'permissions',
          'topic_permissions',
          'parameters',
          'queues',
          'exchanges',
          'bindings',
        ]) {
          assert.deepEqual(canonical(again[k]), canonical(exported[k]), k)
        }
        assert.equal(
          (await request(fresh.httpUrl, 'GET', '/api/whoami', { user: [user, 'round-trip'] })).status,
          200,
        )
        // the imported topology routes
        const pub = await request(fresh.httpUrl, 'POST', `/api/exchanges/${v()}/dx/publish`, {
          body: { properties: {}, routing_key: 'a.b', payload: 'x', payload_encoding: 'string' },
        })
        assert.deepEqual(pub.json, { routed: true })
      } finally {
        await fresh?.close()
      }
    },
  )

  test('per-vhost import puts everything in the named vhost', async () => {
    const target = unique('mgmt-defs-into')
    await m.api('PUT', `/api/vhosts/${target}`)
    try {
      const d = (await m.api('GET', `/api/definitions/${v()}`)).json
      assert.equal((await m.api('POST', `/api/definitions/${target}`, { body: d })).status, 204)
      const q = (await m.api('GET', `/api/queues/${target}/dq`)).json
      assert.deepEqual(q.arguments, { 'x-max-length': 5, 'x-queue-mode': 'lazy' })
      const b = (await m.api('GET', `/api/bindings/${target}/e/dx/q/dq`)).json as unknown[]
      assert.equal(b.length, 1)
    } finally {
      await m.api('DELETE', `/api/vhosts/${target}`)
    }
  })

  test('import: vhost limits, topic permissions and user limits arrive; refused limits are 400', async () => {
    const target = unique('mgmt-defs-limits')
    const u = unique('mgmt-defs-limits-user')
    const defs = {
      users: [
        {
          name: u,
          password_hash: '',
          hashing_algorithm: 'rabbit_password_hashing_sha256',
          tags: [],
          limits: { 'max-connections': 4 },
        },
      ],
      vhosts: [{ name: target }],
      topic_permissions: [{ user: u, vhost: target, exchange: 'amq.topic', write: '^a', read: '^b' }],
      parameters: [{ value: { 'max-queues': 3 }, vhost: target, component: 'vhost-limits', name: 'limits' }],
    }
    try {
      assert.equal((await m.api('POST', '/api/definitions', { body: defs })).status, 204)
      assert.deepEqual((await m.api('GET', `/api/vhost-limits/${target}`)).json, [
        { vhost: target, value: { 'max-queues': 3 } },
      ])
      assert.deepEqual((await m.api('GET', `/api/user-limits/${u}`)).json, [
        { user: u, value: { 'max-connections': 4 } },
      ])
      assert.deepEqual((await m.api('GET', `/api/topic-permissions/${target}/${u}`)).json, [
        { user: u, vhost: target, exchange: 'amq.topic', write: '^a', read: '^b' },
      ])
      // A vhost-limits parameter with no limit left (RabbitMQ exports "value": []) clears them.
      const empty = { parameters: [{ value: [], vhost: target, component: 'vhost-limits', name: 'limits' }] }
      assert.equal((await m.api('POST', '/api/definitions', { body: empty })).status, 204)
      assert.deepEqual((await m.api('GET', `/api/vhost-limits/${target}`)).json, [])
      const bad = (value: unknown) => ({
        parameters: [{ value, vhost: target, component: 'vhost-limits', name: 'limits' }],
      })
      let r = await m.api('POST', '/api/definitions', { body: bad({ 'max-connections': 'x' }) })
      assert.deepEqual(
        [r.status, r.json],
        [
          400,
          {
            error: 'bad_request',
            reason: `Validation failed\n\nmax-connections should be a number, actually was &lt;&lt;"x"&gt;&gt;\n (${target}/vhost-limits/limits)`,
          },
        ],
      )
      r = await m.api('POST', '/api/definitions', { body: bad({ 'max-foo': 1 }) })
      assert.deepEqual(
        [r.status, r.json],
        [
          400,
          {
            error: 'bad_request',
            reason: `Validation failed\n\nUnrecognised terms [{&lt;&lt;"max-foo"&gt;&gt;,1}] in limits\n (${target}/vhost-limits/limits)`,
          },
        ],
      )
      const tp = {
        topic_permissions: [{ user: 'no-such-user', vhost: target, exchange: 'x', write: '', read: '' }],
      }
      r = await m.api('POST', '/api/definitions', { body: tp })
      assert.deepEqual(
        [r.status, r.json],
        [400, { error: 'bad_request', reason: ['no_such_user', 'no-such-user'] }],
      )
    } finally {
      await m.api('DELETE', `/api/vhosts/${target}`)
      await m.api('DELETE', `/api/users/${u}`)
    }
  })

  test("import: queues that would pass a vhost's max-queues are refused, with nothing imported", async () => {
    const target = unique('mgmt-defs-maxq')
    await m.api('PUT', `/api/vhosts/${target}`)
    try {
      await m.api('PUT', `/api/vhost-limits/${target}/max-queues`, { body: { value: 3 } })
      await m.api('PUT', `/api/queues/${target}/existing`, { body: { durable: true } })
      const queue = (name: string) => ({
        name,
        vhost: target,
        durable: true,
        auto_delete: false,
        arguments: {},
      })
      const queues = ['existing', 'q1', 'q2', 'q3'].map(queue)
      const message =
        `Adding 3 queue(s) to virtual host "${target}" would exceed the limit of 3 queue(s).\n\n` +
        'This virtual host currently has 1 queue(s) defined.\n\nImport aborted!'
      // The whole-broker import reports an Erlang term: the text as a list of character codes.
      const r = await m.api('POST', '/api/definitions', { body: { queues } })
      assert.equal(r.status, 400)
      assert.equal(r.json.reason[0], 'vhost_limit_exceeded')
      assert.equal(String.fromCodePoint(...(r.json.reason[1] as number[])), message)
      const one = await m.api('POST', `/api/definitions/${target}`, { body: { queues } })
      assert.deepEqual([one.status, one.json], [400, { error: 'bad_request', reason: message }])
      const listed = (await m.api('GET', `/api/queues/${target}`)).json as Array<{ name: string }>
      assert.deepEqual(
        listed.map((q) => q.name),
        ['existing'],
      )
      assert.equal(
        (await m.api('POST', `/api/definitions/${target}`, { body: { queues: queues.slice(0, 3) } })).status,
        204,
      )
    } finally {
      await m.api('DELETE', `/api/vhosts/${target}`)
    }
  })

  test('import errors: a queue in a missing vhost, a body that is not JSON', async () => {
    const r1 = await m.api('POST', '/api/definitions', {
      body: {
        queues: [{ name: 'x', vhost: 'no-such-vhost', durable: true, auto_delete: false, arguments: {} }],
      },
    })
    assert.deepEqual(
      [r1.status, r1.json],
      [400, { error: 'bad_request', reason: ['no_such_vhost', 'no-such-vhost'] }],
    )
    const r2 = await m.api('POST', '/api/definitions', { body: 'not json' })
    assert.deepEqual([r2.status, r2.json], [400, { error: 'bad_request', reason: 'failed_to_parse_json' }])
  })
})

/** Order-independent comparison of definition lists. */
function canonical(list: unknown): string[] {
  return ((list as unknown[]) ?? []).map((x) => JSON.stringify(x, Object.keys(x as object).sort())).sort()
}
