// The hash and random exchange types through the management API: listed in /api/overview with
// RabbitMQ's descriptions, declared with PUT /api/exchanges (with the consistent-hash checks as 400s),
// bound with POST /api/bindings (weights checked), and carried by definitions export and import. Runs
// against Warren, or the reference RabbitMQ (plugins enabled) with WARREN_TEST_HTTP_URL and WARREN_TEST_URL.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { scratchVhost, seg, unique, useManagement } from './helpers.js'

const m = useManagement()
const vh = scratchVhost(m, 'mgmt-hashx')
const v = (): string => seg(vh.name)

describe('hash and random exchange types in the management API', () => {
  test('/api/overview lists them with RabbitMQ’s descriptions', async () => {
    const types = (await m.api('GET', '/api/overview')).json.exchange_types as Array<{ name: string }>
    assert.deepEqual(
      types.filter((t) => t.name.startsWith('x-') && t.name !== 'x-delayed-message'),
      [
        { name: 'x-consistent-hash', description: 'Consistent Hashing Exchange', enabled: true },
        // The deduplication plugin's description, as its exchange type module gives it.
        { name: 'x-message-deduplication', description: 'Message Deduplication Exchange.', enabled: true },
        { name: 'x-modulus-hash', description: 'Modulus Hashing Exchange', enabled: true },
        {
          name: 'x-random',
          description: 'Randomly picks a binding (queue) to route via (to).',
          enabled: true,
        },
      ],
    )
  })

  test('PUT /api/exchanges declares them; the consistent-hash argument checks are 400s', async () => {
    const put = (name: string, body: object) => m.api('PUT', `/api/exchanges/${v()}/${name}`, { body })
    const bad = async (args: object): Promise<unknown> =>
      (await put(unique('bad'), { type: 'x-consistent-hash', arguments: args })).json
    assert.deepEqual(await bad({ 'hash-header': 'h', 'hash-property': 'message_id' }), {
      error: 'bad_request',
      reason: 'hash-header and hash-property are mutually exclusive',
    })
    assert.deepEqual(await bad({ 'hash-property': 'nope' }), {
      error: 'bad_request',
      reason: 'Unsupported property: nope',
    })
    for (const type of ['x-consistent-hash', 'x-modulus-hash', 'x-random']) {
      const r = await put(type, { type, durable: true, arguments: { 'hash-header': 'h' } })
      assert.equal(r.status, 201, type)
      const ex = (await m.api('GET', `/api/exchanges/${v()}/${type}`)).json
      assert.equal(ex.type, type)
      assert.deepEqual(ex.arguments, { 'hash-header': 'h' })
    }
  })

  test('POST /api/bindings checks consistent-hash weights, with RabbitMQ’s reasons', async () => {
    const ex = unique('chx')
    await m.api('PUT', `/api/exchanges/${v()}/${ex}`, { body: { type: 'x-consistent-hash' } })
    await m.api('PUT', `/api/queues/${v()}/wq`, { body: { durable: true } })
    const bind = (key: string) =>
      m.api('POST', `/api/bindings/${v()}/e/${ex}/q/wq`, { body: { routing_key: key } })
    assert.deepEqual((await bind('abc')).json, {
      error: 'bad_request',
      reason: 'The binding key must be an integer: <<"abc">>',
    })
    assert.deepEqual((await bind('0')).json, {
      error: 'bad_request',
      reason: 'The binding key must be greater than 0',
    })
    assert.equal((await bind('10')).status, 201)
  })

  test('definitions carry them; an import into another vhost routes the same way', async () => {
    const from = unique('mgmt-hashx-from')
    const into = unique('mgmt-hashx-into')
    for (const name of [from, into]) await m.api('PUT', `/api/vhosts/${name}`)
    try {
      await m.api('PUT', `/api/exchanges/${from}/chx`, {
        body: { type: 'x-consistent-hash', durable: true, arguments: { 'hash-property': 'message_id' } },
      })
      for (const q of ['a', 'b']) {
        await m.api('PUT', `/api/queues/${from}/${q}`, { body: { durable: true } })
        await m.api('POST', `/api/bindings/${from}/e/chx/q/${q}`, {
          body: { routing_key: q === 'a' ? '1' : '3' },
        })
      }
      const defs = (await m.api('GET', `/api/definitions/${from}`)).json
      const ex = (defs.exchanges as Array<Record<string, unknown>>).find((e) => e['name'] === 'chx')
      assert.deepEqual(ex?.['arguments'], { 'hash-property': 'message_id' })
      assert.equal(ex?.['type'], 'x-consistent-hash')
      const keys = (defs.bindings as Array<Record<string, unknown>>).map((b) => b['routing_key']).sort()
      assert.deepEqual(keys, ['1', '3'])
      assert.equal((await m.api('POST', `/api/definitions/${into}`, { body: defs })).status, 204)
      const routed = await publishSpread(into)
      assert.equal(routed.a + routed.b, 400)
      assert.ok(routed.a > 60 && routed.a < 140, `weight 1 of 4: ${routed.a} of 400`)
    } finally {
      for (const name of [from, into]) await m.api('DELETE', `/api/vhosts/${name}`)
    }
  })
})

/** Publishes 400 messages with distinct message ids to `vhost`'s chx; how many reached a and b. */
async function publishSpread(vhost: string): Promise<{ a: number; b: number }> {
  const conn = await m.connect(vhost)
  const ch = await conn.createConfirmChannel()
  for (let i = 0; i < 400; i++) ch.publish('chx', 'same', Buffer.from('x'), { messageId: `id-${i}` })
  await ch.waitForConfirms()
  const a = (await ch.checkQueue('a')).messageCount
  const b = (await ch.checkQueue('b')).messageCount
  await conn.close()
  return { a, b }
}
