// Repeated property sets are decoded once and shared between messages (src/amqp/properties-cache.ts).
// Whatever is shared, every message must come out with exactly the properties it was published with,
// and dead-lettering one of them must not change the others. Runs against RabbitMQ too (WARREN_TEST_URL).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  channel,
  confirmChannel,
  connect,
  getOne,
  uniqueName,
  useTarget,
  waitForCount,
} from '../helpers/target.js'

const t = useTarget()

/** Property sets that repeat, differ in one byte, or differ only in length; some collide in the cache. */
function propertiesFor(i: number): {
  contentType: string
  headers?: Record<string, unknown>
  priority?: number
} {
  const kind = i % 5
  if (kind === 0) return { contentType: 'text/plain' }
  if (kind === 1) return { contentType: 'text/plaim' } // one byte apart from kind 0
  if (kind === 2) return { contentType: 'application/json', headers: { n: i % 40 } } // 40 distinct sets
  if (kind === 3) return { contentType: 'a', headers: { k: 'v' }, priority: 3 }
  return { contentType: 'x'.repeat(60 + (i % 7)) } // around the cache's length limit
}

test('messages with repeated and near-identical properties keep their own properties', async () => {
  const conn = await connect(t)
  const ch = await confirmChannel(conn)
  const q = uniqueName('props')
  await ch.assertQueue(q, { exclusive: true })
  const n = 2000
  for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.from(String(i)), propertiesFor(i))
  await ch.waitForConfirms()
  const seen = await channel(conn)
  await waitForCount(seen, q, n, 5000)
  for (let i = 0; i < n; i++) {
    const m = await getOne(seen, q, true)
    const j = Number(m.content.toString())
    const want = propertiesFor(j)
    assert.equal(m.properties.contentType, want.contentType, `message ${j}`)
    assert.deepEqual(m.properties.headers ?? {}, want.headers ?? {}, `message ${j}`)
    assert.equal(m.properties.priority, want.priority, `message ${j}`)
  }
})

test('dead-lettering a message leaves messages that share its properties unchanged', async () => {
  const conn = await connect(t)
  const ch = await channel(conn)
  const dlq = uniqueName('props-dlq')
  const src = uniqueName('props-src')
  const keep = uniqueName('props-keep')
  await ch.assertQueue(dlq, { exclusive: true })
  await ch.assertQueue(src, {
    exclusive: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq },
  })
  await ch.assertQueue(keep, { exclusive: true })
  const props = { contentType: 'text/plain', headers: { tag: 'same' } }
  ch.sendToQueue(src, Buffer.from('dies'), props)
  ch.sendToQueue(keep, Buffer.from('stays'), props)
  const dying = await getOne(ch, src)
  ch.nack(dying, false, false)
  const dead = await getOne(ch, dlq, true)
  assert.equal(dead.properties.headers?.['tag'], 'same')
  assert.ok(Array.isArray(dead.properties.headers?.['x-death']))
  ch.sendToQueue(keep, Buffer.from('after'), props)
  for (const body of ['stays', 'after']) {
    const m = await getOne(ch, keep, true)
    assert.equal(m.content.toString(), body)
    assert.deepEqual(m.properties.headers, { tag: 'same' })
  }
})
