import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { scratchVhost, seg, useManagement } from './helpers.js'

const m = useManagement()
const vh = scratchVhost(m, 'mgmt-bind')
const v = (): string => seg(vh.name)

describe('/api/bindings', () => {
  before(async () => {
    await m.api('PUT', `/api/exchanges/${v()}/src`, { body: { type: 'topic' } })
    await m.api('PUT', `/api/exchanges/${v()}/dst`, { body: { type: 'fanout' } })
    await m.api('PUT', `/api/queues/${v()}/bq`, { body: {} })
  })

  test('exchange to queue: POST (201 with Location), GET the list and one binding, DELETE it', async () => {
    const base = `/api/bindings/${v()}/e/src/q/bq`
    const post = await m.api('POST', base, { body: { routing_key: 'a.#', arguments: { x: 1 } } })
    assert.equal(post.status, 201)
    // the properties key, percent-encoded once more (as RabbitMQ does)
    const location = post.headers.get('location') as string
    assert.match(location, /^bq\/a\.%2523~[A-Za-z0-9_-]+$/)
    assert.equal((await m.api('POST', base, { body: {} })).status, 201)
    const list = (await m.api('GET', base)).json as Array<Record<string, unknown>>
    assert.equal(list.length, 2)
    const withArgs = list.find((b) => b['routing_key'] === 'a.#') as Record<string, unknown>
    assert.deepEqual(
      { ...withArgs, properties_key: undefined },
      {
        source: 'src',
        vhost: vh.name,
        destination: 'bq',
        destination_type: 'queue',
        routing_key: 'a.#',
        arguments: { x: 1 },
        properties_key: undefined,
      },
    )
    assert.equal(withArgs['properties_key'], decodeURIComponent(location.slice('bq/'.length)))
    assert.equal(list.find((b) => b['routing_key'] === '')?.['properties_key'], '~')
    // properties keys are path segments: clients percent-encode them again
    const one = `${base}/${encodeURIComponent(withArgs['properties_key'] as string)}`
    assert.equal((await m.api('GET', one)).json.routing_key, 'a.#')
    assert.equal((await m.api('DELETE', one)).status, 204)
    assert.equal((await m.api('GET', one)).status, 404)
    assert.equal((await m.api('DELETE', `${base}/~`)).status, 204)
    assert.deepEqual((await m.api('GET', base)).json, [])
  })

  test('exchange to exchange bindings', async () => {
    const base = `/api/bindings/${v()}/e/src/e/dst`
    assert.equal((await m.api('POST', base, { body: { routing_key: 'k2' } })).status, 201)
    assert.deepEqual((await m.api('GET', base)).json, [
      {
        source: 'src',
        vhost: vh.name,
        destination: 'dst',
        destination_type: 'exchange',
        routing_key: 'k2',
        arguments: {},
        properties_key: 'k2',
      },
    ])
    const src = (await m.api('GET', `/api/exchanges/${v()}/src/bindings/source`)).json as Array<{
      destination: string
    }>
    assert.ok(src.some((b) => b.destination === 'dst'))
    const dst = (await m.api('GET', `/api/exchanges/${v()}/dst/bindings/destination`)).json as Array<{
      source: string
    }>
    assert.deepEqual(
      dst.map((b) => b.source),
      ['src'],
    )
    assert.equal((await m.api('DELETE', `${base}/k2`)).status, 204)
  })

  test('bindings route messages published over HTTP', async () => {
    await m.api('POST', `/api/bindings/${v()}/e/src/q/bq`, { body: { routing_key: 'route.*' } })
    const pub = await m.api('POST', `/api/exchanges/${v()}/src/publish`, {
      body: { properties: {}, routing_key: 'route.me', payload: 'x', payload_encoding: 'string' },
    })
    assert.deepEqual(pub.json, { routed: true })
  })

  test('listings: per vhost (default bindings first) and across vhosts', async () => {
    const list = (await m.api('GET', `/api/bindings/${v()}`)).json as Array<{
      source: string
      destination: string
    }>
    assert.deepEqual(list[0], {
      source: '',
      vhost: vh.name,
      destination: 'bq',
      destination_type: 'queue',
      routing_key: 'bq',
      arguments: {},
      properties_key: 'bq',
    })
    const all = (await m.api('GET', '/api/bindings')).json as Array<{ vhost: string }>
    assert.ok(all.some((b) => b.vhost === vh.name))
    const implicit = (await m.api('GET', `/api/bindings/${v()}/e/amq.default/q/bq`)).json as unknown[]
    assert.equal(implicit.length, 1)
  })

  test('errors: missing queue or exchange, binding the default exchange, unknown binding', async () => {
    const r1 = await m.api('POST', `/api/bindings/${v()}/e/src/q/nope`, { body: {} })
    assert.deepEqual(
      [r1.status, r1.json],
      [404, { error: 'not_found', reason: `no queue 'nope' in vhost '${vh.name}'` }],
    )
    const r2 = await m.api('POST', `/api/bindings/${v()}/e/nope/q/bq`, { body: {} })
    assert.deepEqual(
      [r2.status, r2.json],
      [404, { error: 'not_found', reason: `no exchange 'nope' in vhost '${vh.name}'` }],
    )
    const r3 = await m.api('POST', `/api/bindings/${v()}/e/amq.default/q/bq`, { body: { routing_key: 'x' } })
    assert.equal(r3.status, 401)
    assert.equal((await m.api('GET', `/api/bindings/${v()}/e/src/q/bq/nope~abc`)).status, 404)
    // listing the bindings between missing ends is not an error
    assert.deepEqual((await m.api('GET', `/api/bindings/${v()}/e/src/q/nope`)).json, [])
  })
})
