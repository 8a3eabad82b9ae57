// warren ctl add_super_stream / delete_super_stream (rabbitmq-streams' commands) and the HTTP API under
// them: partitions by count or by routing keys, with their streams' arguments; a publish to the exchange
// reaches the partition its key is bound to; the errors.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { scratchVhost, unique, useWarren } from './helpers.js'

const w = useWarren()
const auth = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') }

async function superStream(vhost: string, name: string): Promise<Record<string, unknown> | undefined> {
  const r = await fetch(
    `${w.httpUrl}api/stream/super-streams/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`,
    { headers: auth },
  )
  return r.status === 200 ? ((await r.json()) as Record<string, unknown>) : undefined
}

test('add_super_stream --partitions makes <name>-0..n-1; a key routes to its partition; delete removes all', async () => {
  const vhost = await scratchVhost(w)
  const name = unique('invoices')
  const add = await w.ctl('add_super_stream', '-p', vhost, name, '--partitions', '3', '--max-age', '7D')
  assert.equal(add.code, 0, add.stderr)
  assert.match(add.stdout, new RegExp(`Adding super stream ${name}`))
  const view = await superStream(vhost, name)
  assert.deepEqual(view?.['partitions'], [
    { name: `${name}-0`, binding_key: '0' },
    { name: `${name}-1`, binding_key: '1' },
    { name: `${name}-2`, binding_key: '2' },
  ])
  const conn = await w.connect(vhost)
  const ch = await conn.createConfirmChannel()
  const q = await ch.checkQueue(`${name}-1`)
  assert.equal(q.messageCount, 0)
  ch.publish(name, '1', Buffer.from('to partition 1'))
  await ch.waitForConfirms()
  const stream = await fetch(
    `${w.httpUrl}api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(`${name}-1`)}`,
    { headers: auth },
  )
  const sv = (await stream.json()) as Record<string, unknown>
  assert.equal(sv['type'], 'stream')
  assert.deepEqual(sv['arguments'], { 'x-max-age': '7D', 'x-queue-type': 'stream' })
  assert.equal(sv['messages'], 1, 'the message routed by its key reached partition 1')
  assert.equal((await ch.checkQueue(`${name}-0`)).messageCount, 0)
  await conn.close()
  const again = await w.ctl('add_super_stream', '-p', vhost, name)
  assert.equal(again.code, 64)
  assert.match(again.stderr, /already exists/)
  const del = await w.ctl('delete_super_stream', '-p', vhost, name)
  assert.equal(del.code, 0, del.stderr)
  assert.equal(await superStream(vhost, name), undefined)
  const gone = await w.ctl('delete_super_stream', '-p', vhost, name)
  assert.equal(gone.code, 64)
  assert.match(gone.stderr, /Super stream '.*' not found/)
})

test('add_super_stream --routing-keys makes one partition per key; both options is an error', async () => {
  const vhost = await scratchVhost(w)
  const name = unique('regions')
  const add = await w.ctl('add_super_stream', '-p', vhost, name, '--routing-keys', 'amer,emea,apac')
  assert.equal(add.code, 0, add.stderr)
  const view = await superStream(vhost, name)
  assert.deepEqual(
    (view?.['partitions'] as Array<{ name: string }>).map((p) => p.name),
    [`${name}-amer`, `${name}-emea`, `${name}-apac`],
  )
  const list = await fetch(`${w.httpUrl}api/stream/super-streams/${encodeURIComponent(vhost)}`, {
    headers: auth,
  })
  assert.deepEqual(
    ((await list.json()) as Array<{ name: string }>).map((s) => s.name),
    [name],
  )
  const both = await w.ctl(
    'add_super_stream',
    '-p',
    vhost,
    unique('x'),
    '--partitions',
    '2',
    '--routing-keys',
    'a',
  )
  assert.equal(both.code, 64)
  assert.match(both.stderr, /partitions or binding keys, not both/)
})
