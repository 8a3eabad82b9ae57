import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { eventually, scratchVhost, seg, useManagement } from './helpers.js'

const m = useManagement()
const vh = scratchVhost(m, 'mgmt-list')
const v = (): string => seg(vh.name)
const NAMES = ['Alpha', 'beta', 'delta', 'gamma-1', 'gamma-2']

describe('list parameters: sort, columns, pagination', () => {
  before(async () => {
    for (const n of NAMES) await m.api('PUT', `/api/queues/${v()}/${n}`, { body: {} })
  })

  const names = (items: Array<{ name: string }>): string[] => items.map((i) => i.name)

  test('lists sort by name by default; sort and sort_reverse pick the key and order', async () => {
    assert.deepEqual(names((await m.api('GET', `/api/queues/${v()}?columns=name`)).json), NAMES)
    const rev = await m.api('GET', `/api/queues/${v()}?columns=name&sort=name&sort_reverse=true`)
    assert.deepEqual(names(rev.json), [...NAMES].reverse())
  })

  test('sorting by a formatted field (not the name) works too', async () => {
    await m.api('POST', `/api/exchanges/${v()}/amq.default/publish`, {
      body: { properties: {}, routing_key: 'delta', payload: 'x', payload_encoding: 'string' },
    })
    const path = `/api/queues/${v()}?sort=messages&sort_reverse=true&columns=name,messages`
    await eventually(async () => (await m.api('GET', path)).json[0]?.name === 'delta')
    assert.deepEqual((await m.api('GET', path)).json[0], { name: 'delta', messages: 1 })
  })

  test('columns keeps only the named fields, dotted paths included', async () => {
    const path = `/api/queues/${v()}?columns=name,messages,arguments.none,no_such_field`
    await eventually(async () => (await m.api('GET', path)).json[0].messages !== undefined)
    // a dotted path keeps its parent object even when the leaf is missing (as RabbitMQ does)
    assert.deepEqual((await m.api('GET', path)).json[0], { name: 'Alpha', messages: 0, arguments: {} })
  })

  test('page and page_size return RabbitMQ pagination envelopes', async () => {
    const r = await m.api('GET', `/api/queues/${v()}?page=2&page_size=2&columns=name`)
    assert.deepEqual(r.json, {
      filtered_count: 5,
      item_count: 2,
      items: [{ name: 'delta' }, { name: 'gamma-1' }],
      page: 2,
      page_count: 3,
      page_size: 2,
      total_count: 5,
    })
  })

  test('name filters case-insensitively; use_regex=true takes a regular expression', async () => {
    const r1 = await m.api('GET', `/api/queues/${v()}?page=1&name=GAMMA&columns=name`)
    assert.deepEqual(names(r1.json.items), ['gamma-1', 'gamma-2'])
    assert.equal(r1.json.filtered_count, 2)
    assert.equal(r1.json.total_count, 5)
    const r2 = await m.api(
      'GET',
      `/api/queues/${v()}?page=1&name=${encodeURIComponent('^g.*2$')}&use_regex=true&columns=name`,
    )
    assert.deepEqual(names(r2.json.items), ['gamma-2'])
    // without page, name does not filter (as in RabbitMQ)
    assert.equal((await m.api('GET', `/api/queues/${v()}?name=gamma`)).json.length, 5)
  })

  test('pagination errors: page out of range, invalid numbers, page_size over 500, bad regex', async () => {
    const r1 = await m.api('GET', `/api/queues/${v()}?page=7&page_size=1`)
    assert.deepEqual(
      [r1.status, r1.json],
      [400, { error: 'page_out_of_range', reason: 'Page out of range, page: 7 page size: 1, len: 5' }],
    )
    const r2 = await m.api('GET', `/api/queues/${v()}?page=0`)
    assert.deepEqual(r2.json, {
      error: 'invalid_pagination_parameters',
      reason: 'Invalid pagination parameters: page number 0, page size undefined',
    })
    const r3 = await m.api('GET', `/api/queues/${v()}?page=1&page_size=501`)
    assert.equal(r3.json.error, 'invalid_pagination_parameters')
    for (const q of ['page=x', 'page=1&page_size=abc', 'page=1&name=(&use_regex=true']) {
      const r = await m.api('GET', `/api/queues/${v()}?${q}`)
      assert.deepEqual(
        [r.status, r.json],
        [400, { error: 'bad_request', reason: 'Pagination parameters are invalid' }],
        q,
      )
    }
  })

  test('exchanges, vhosts, connections and channels paginate too', async () => {
    for (const p of [`/api/exchanges/${v()}`, '/api/vhosts', '/api/connections', '/api/channels']) {
      const r = await m.api('GET', `${p}?page=1&page_size=1`)
      assert.equal(r.status, 200, p)
      assert.ok('page_count' in r.json, p)
    }
  })
})
