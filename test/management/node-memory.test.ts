// GET /api/nodes/{node}/memory: memory by what uses it, in parts that add up to the process's resident
// memory; the queues' part follows the message bodies they hold.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { amqp, useBroker } from '../helpers/broker.js'

const b = useBroker()
const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` }

interface Memory {
  memory: Record<string, number> & { total: { rss: number }; strategy: string }
}

async function memory(path = 'memory'): Promise<Memory['memory']> {
  const overview = (await (await fetch(`${b.broker.httpUrl}api/overview`, { headers: auth })).json()) as {
    node: string
  }
  const node = encodeURIComponent(overview.node)
  const res = await fetch(
    `${b.broker.httpUrl}api/nodes/${node}${path === '' ? '?memory=true' : '/' + path}`,
    {
      headers: auth,
    },
  )
  assert.equal(res.status, 200)
  return ((await res.json()) as Memory).memory
}

const parts = (m: Memory['memory']): number =>
  Object.entries(m)
    .filter(([, v]) => typeof v === 'number')
    .reduce((sum, [, v]) => sum + (v as number), 0)

test('the parts add up to the RSS within 10 %, and the queues part holds the bodies queued', async () => {
  const idle = await memory()
  assert.equal(idle.strategy, 'rss')
  assert.ok(Math.abs(parts(idle) - idle.total.rss) <= idle.total.rss * 0.1, JSON.stringify(idle))

  const conn = await amqp.connect(b.url)
  const ch = await conn.createConfirmChannel()
  await ch.assertQueue('memory-q')
  const body = Buffer.alloc(100_000, 7)
  for (let i = 0; i < 500; i++) ch.sendToQueue('memory-q', body)
  await ch.waitForConfirms()
  const full = await memory()
  const grown = (full['queue_procs'] ?? 0) - (idle['queue_procs'] ?? 0)
  assert.ok(grown >= 50e6 * 0.95 && grown <= 50e6 * 1.05, `queue_procs grew by ${grown}`)
  assert.ok(Math.abs(parts(full) - full.total.rss) <= full.total.rss * 0.1, JSON.stringify(full))
  for (const k of ['binary', 'js_heap', 'code', 'connection_writers', 'store_buffers', 'other_system'])
    assert.equal(typeof full[k], 'number', k)

  await ch.purgeQueue('memory-q')
  const purged = await memory()
  assert.ok((purged['queue_procs'] ?? 0) < 1e6, `after purge: ${purged['queue_procs']}`)
  const viaNode = await memory('')
  assert.equal(typeof viaNode['queue_procs'], 'number')
  await ch.deleteQueue('memory-q')
  await conn.close()
})

test('a node that is not this one is 404', async () => {
  const res = await fetch(`${b.broker.httpUrl}api/nodes/rabbit%40elsewhere/memory`, { headers: auth })
  assert.equal(res.status, 404)
})
