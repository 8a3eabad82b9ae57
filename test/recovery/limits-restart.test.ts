// Vhost limits, user limits and topic permissions are definitions: stored in definitions.json as
// RabbitMQ's export has them (vhost-limits parameters, users' limits, topic_permissions), and in force
// again after a restart.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import amqp from 'amqplib'
import { startBroker } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-limits-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const opts = { amqpPort: 0, httpPort: 0, bind: '127.0.0.1', logLevel: 'silent' as const, dataDir: dir }
const guest = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') }

async function api(base: string, method: string, path: string, body?: unknown): Promise<Response> {
  const headers = { ...guest, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }
  return fetch(new URL(path, base), {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  })
}
const json = async (base: string, path: string): Promise<unknown> => (await api(base, 'GET', path)).json()

test('limits and topic permissions survive a restart, and are enforced after it', async () => {
  let broker = await startBroker(opts)
  const h = broker.httpUrl
  await api(h, 'PUT', 'api/vhosts/limited')
  await api(h, 'PUT', 'api/vhosts/cleared')
  await api(h, 'PUT', 'api/users/alice', { password: 'alice', tags: '' })
  await api(h, 'PUT', 'api/permissions/limited/alice', { configure: '.*', write: '.*', read: '.*' })
  await api(h, 'PUT', 'api/vhost-limits/limited/max-queues', { value: 1 })
  await api(h, 'PUT', 'api/vhost-limits/limited/max-connections', { value: 0 })
  await api(h, 'PUT', 'api/vhost-limits/cleared/max-queues', { value: 1 })
  await api(h, 'DELETE', 'api/vhost-limits/cleared/max-queues')
  await api(h, 'PUT', 'api/user-limits/alice/max-channels', { value: 3 })
  const tp = { exchange: 'amq.topic', write: '^{username}\\.', read: '^r' }
  assert.equal((await api(h, 'PUT', 'api/topic-permissions/limited/alice', tp)).status, 201)
  await broker.close()

  const stored = JSON.parse(readFileSync(join(dir, 'definitions.json'), 'utf8')) as Record<string, unknown[]>
  assert.deepEqual(stored['topic_permissions'], [{ user: 'alice', vhost: 'limited', ...tp }])
  assert.deepEqual(stored['parameters'], [
    {
      vhost: 'limited',
      component: 'vhost-limits',
      name: 'limits',
      value: { 'max-connections': 0, 'max-queues': 1 },
    },
    { vhost: 'cleared', component: 'vhost-limits', name: 'limits', value: {} },
  ])

  broker = await startBroker(opts)
  try {
    const b = broker.httpUrl
    assert.deepEqual(await json(b, 'api/vhost-limits'), [
      { vhost: 'limited', value: { 'max-connections': 0, 'max-queues': 1 } },
      { vhost: 'cleared', value: [] },
    ])
    assert.deepEqual(await json(b, 'api/user-limits/alice'), [
      { user: 'alice', value: { 'max-channels': 3 } },
    ])
    assert.deepEqual(await json(b, 'api/topic-permissions/limited/alice'), [
      { user: 'alice', vhost: 'limited', ...tp },
    ])
    const url = (vhost: string): string =>
      broker.amqpUrl.replace('guest:guest', 'alice:alice').replace(/\/$/, `/${vhost}`)
    await assert.rejects(amqp.connect(url('limited')))
    await api(b, 'PUT', 'api/vhost-limits/limited/max-connections', { value: -1 })
    const conn = await amqp.connect(url('limited'))
    conn.on('error', () => {})
    const ch = await conn.createConfirmChannel()
    ch.on('error', () => {})
    await ch.assertQueue('only-one', { exclusive: true })
    ch.publish('amq.topic', 'alice.ok', Buffer.from('x'))
    await ch.waitForConfirms()
    const closed = new Promise<Error>((resolve) => ch.once('error', resolve))
    ch.publish('amq.topic', 'bob.no', Buffer.from('x'))
    assert.match((await closed).message, /ACCESS_REFUSED - access to topic 'bob.no' in exchange 'amq.topic'/)
    const again = await conn.createChannel()
    again.on('error', () => {})
    await assert.rejects(again.assertQueue('second'), /queue limit in vhost 'limited' \(1\) is reached/)
    await conn.close().catch(() => {})
  } finally {
    await broker.close()
  }
})
