// Patterns RE2 cannot evaluate are refused when saved; one that arrives another way (a definitions file an
// older Warren wrote, when JavaScript's engine accepted lookarounds) does not stop the broker from starting
// and matches nothing: the permission grants nothing, the policy applies to nothing.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import amqp from 'amqplib'
import { startBroker } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-patterns-'))
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

/** Rewrites the stored definitions as an older Warren could have written them. */
function storeLookarounds(): void {
  const file = join(dir, 'definitions.json')
  const defs = JSON.parse(readFileSync(file, 'utf8')) as {
    permissions: Array<{ user: string; configure: string }>
    policies: Array<{ name: string; pattern: string }>
  }
  for (const p of defs.permissions) if (p.user === 'alice') p.configure = '^(?=q)'
  for (const p of defs.policies) if (p.name === 'short') p.pattern = '(?=q)'
  writeFileSync(file, JSON.stringify(defs))
}

test('a stored lookaround pattern: the broker starts, the permission grants nothing, the policy applies to nothing', async () => {
  let broker = await startBroker(opts)
  await api(broker.httpUrl, 'PUT', 'api/users/alice', { password: 'alice', tags: 'management' })
  await api(broker.httpUrl, 'PUT', 'api/permissions/%2F/alice', { configure: '^q', write: '.*', read: '.*' })
  const policy = { pattern: '^q', definition: { 'max-length': 1 }, 'apply-to': 'queues' }
  assert.equal((await api(broker.httpUrl, 'PUT', 'api/policies/%2F/short', policy)).status, 201)
  await broker.close()

  storeLookarounds()
  broker = await startBroker(opts)
  try {
    const stored = (await (await api(broker.httpUrl, 'GET', 'api/policies/%2F/short')).json()) as {
      pattern: string
    }
    assert.equal(stored.pattern, '(?=q)')
    const conn = await amqp.connect(broker.amqpUrl.replace('guest:guest', 'alice:alice'))
    const ch = await conn.createChannel()
    ch.on('error', () => {})
    await assert.rejects(ch.assertQueue('q1', { durable: false }), /ACCESS_REFUSED/)
    await conn.close()
    assert.equal((await api(broker.httpUrl, 'PUT', 'api/queues/%2F/q1', { durable: false })).status, 201)
    const q = (await (await api(broker.httpUrl, 'GET', 'api/queues/%2F/q1')).json()) as { policy: unknown }
    assert.equal(q.policy, null)
  } finally {
    await broker.close()
  }
})
