import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type AnyJson, eventually, scratchUser, scratchVhost, seg, unique, useManagement } from './helpers.js'

const m = useManagement()
const vh = scratchVhost(m, 'mgmt-conn')

/** The connection whose client named itself `name`, once the API lists it. */
async function findConnection(name: string): Promise<Record<string, AnyJson>> {
  let found: Record<string, unknown> | undefined
  await eventually(async () => {
    const list = (await m.api('GET', '/api/connections')).json as Array<Record<string, unknown>>
    found = list.find((c) => c['user_provided_name'] === name)
    return found?.['state'] !== undefined && found['recv_oct'] !== undefined // RabbitMQ adds statistics later
  })
  return found as Record<string, unknown>
}

describe('/api/connections, /api/channels, /api/consumers', () => {
  test('a connection lists with RabbitMQ fields', async () => {
    const name = unique('conn')
    const conn = await m.connect(vh.name, { connection_name: name })
    const c = await findConnection(name)
    assert.equal(c['vhost'], vh.name)
    assert.equal(c['user'], 'guest')
    assert.equal(c['protocol'], 'AMQP 0-9-1')
    assert.equal(c['state'], 'running')
    assert.equal(c['auth_mechanism'], 'PLAIN')
    assert.equal(c['peer_host'], '127.0.0.1')
    assert.equal(c['ssl'], false)
    assert.equal(c['client_properties']['product'], 'amqplib')
    for (const k of [
      'name',
      'channels',
      'channel_max',
      'frame_max',
      'timeout',
      'connected_at',
      'recv_oct',
      'send_oct',
      'peer_port',
      'port',
    ]) {
      assert.ok(k in c, k)
    }
    const one = await m.api('GET', `/api/connections/${seg(c['name'])}`)
    assert.equal(one.json.name, c['name'])
    const inVhost = (await m.api('GET', `/api/vhosts/${seg(vh.name)}/connections`)).json as Array<{
      name: string
    }>
    assert.ok(inVhost.some((x) => x.name === c['name']))
    await conn.close()
  })

  test('channels and consumers list with their connection details', async () => {
    const name = unique('conn')
    const conn = await m.connect(vh.name, { connection_name: name })
    const ch = await conn.createConfirmChannel()
    await ch.prefetch(7)
    await ch.assertQueue('cq')
    await ch.consume('cq', () => {}, { consumerTag: 'the-tag' })
    const c = await findConnection(name)
    let channel: Record<string, AnyJson> | undefined
    await eventually(async () => {
      const list = (await m.api('GET', `/api/connections/${seg(c['name'])}/channels`)).json as Array<
        Record<string, unknown>
      >
      channel = list[0]
      return channel !== undefined && channel['consumer_count'] === 1
    })
    assert.ok(channel)
    assert.equal(channel['name'], `${c['name']} (1)`)
    assert.equal(channel['number'], 1)
    assert.equal(channel['confirm'], true)
    assert.equal(channel['prefetch_count'], 7)
    assert.equal(channel['transactional'], false)
    assert.equal(channel['connection_details']['name'], c['name'])
    assert.equal((await m.api('GET', `/api/channels/${seg(channel['name'])}`)).json.number, 1)
    const all = (await m.api('GET', '/api/channels')).json as Array<{ name: string }>
    assert.ok(all.some((x) => x.name === channel?.['name']))
    const consumers = (await m.api('GET', `/api/consumers/${seg(vh.name)}`)).json as Array<
      Record<string, AnyJson>
    >
    const k = consumers.find((x) => x['consumer_tag'] === 'the-tag')
    assert.ok(k)
    assert.deepEqual(k['queue'], { name: 'cq', vhost: vh.name })
    assert.equal(k['channel_details']['connection_name'], c['name'])
    assert.equal(k['prefetch_count'], 7)
    assert.equal(k['active'], true)
    await conn.close()
  })

  test('DELETE closes with 320 CONNECTION_FORCED and the X-Reason text', async () => {
    const name = unique('conn')
    const conn = await m.connect(vh.name, { connection_name: name })
    const closed = new Promise<unknown>((resolve) => conn.on('close', resolve))
    const c = await findConnection(name)
    const r = await m.api('DELETE', `/api/connections/${seg(c['name'])}`, {
      headers: { 'x-reason': 'VHOST TEST' },
    })
    assert.equal(r.status, 204)
    assert.match(
      String(await closed),
      /320 \(CONNECTION-FORCED\) with message "CONNECTION_FORCED - VHOST TEST"/,
    )
    assert.equal((await m.api('DELETE', '/api/connections/no-such-connection')).status, 404)
  })

  test('DELETE without X-Reason says "Closed via management plugin"', async () => {
    const name = unique('conn')
    const conn = await m.connect(vh.name, { connection_name: name })
    const closed = new Promise<unknown>((resolve) => conn.on('close', resolve))
    const c = await findConnection(name)
    await m.api('DELETE', `/api/connections/${seg(c['name'])}`)
    assert.match(String(await closed), /CONNECTION_FORCED - Closed via management plugin/)
  })
})

describe('connection visibility', () => {
  const user = scratchUser(m, 'management', 'mgmt-own')

  test('management users see their own connections only', async () => {
    await m.api('PUT', `/api/permissions/${seg(vh.name)}/${user.name}`, {
      body: { configure: '.*', write: '.*', read: '.*' },
    })
    const url = new URL(m.amqpUrl)
    url.username = user.name
    url.password = user.password
    const { amqp } = await import('./helpers.js')
    const mine = await amqp.connect(url.toString() + seg(vh.name), {
      clientProperties: { connection_name: 'mine' },
    })
    const theirs = await m.connect(vh.name, { connection_name: 'theirs' })
    const asUser = { user: [user.name, user.password] as const }
    let names: string[] = []
    await eventually(async () => {
      names = (
        (await m.api('GET', '/api/connections', asUser)).json as Array<{ user_provided_name?: string }>
      ).map((c) => c.user_provided_name ?? '')
      return names.includes('mine')
    })
    assert.ok(!names.includes('theirs'))
    await mine.close()
    await theirs.close()
  })
})
