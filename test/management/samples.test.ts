// `samples` for RabbitMQ's lengths_age/lengths_incr and msg_rates_age/msg_rates_incr: the history kept
// server-side (unit), and the API's shape as RabbitMQ 3.10 answers it (newest first, aligned timestamps,
// age/incr + 1 points, avg and avg_rate; bad parameters ignored).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GLOBAL_TIERS, SampleHistory } from '../../src/management/sample-history.js'
import { amqp, useBroker } from '../helpers/broker.js'

test('history: newest first, the last value read in each interval, 0 before anything was kept', () => {
  const h = new SampleHistory(GLOBAL_TIERS)
  const t0 = 1_800_000 * 555_556 // aligned on 5 s, 60 s and 30 min
  for (let i = 0; i <= 240; i++) h.record(t0 + i * 5000 + 300, { messages: i, publish: i * 10 })
  const now = t0 + 240 * 5000 + 400
  const recent = h.samples('messages', { age: 20_000, incr: 5000 }, now)
  assert.deepEqual(
    recent.map((p) => [p.timestamp - t0, p.sample]),
    [
      [1_200_000, 240],
      [1_195_000, 239],
      [1_190_000, 238],
      [1_185_000, 237],
      [1_180_000, 236],
    ],
  )
  // Older than the 5 s tier keeps (10 minutes): the 60 s tier answers.
  const hour = h.samples('publish', { age: 1_200_000, incr: 60_000 }, now)
  assert.equal(hour.length, 21)
  assert.deepEqual(hour.at(-1), { sample: 0, timestamp: t0 })
  assert.equal(hour[10]?.sample, 1310) // [t0 + 600 s, + 60 s): the last value read in it, at t0 + 655.3 s
  assert.deepEqual(
    h.samples('messages', { age: 10_000, incr: 5000 }, t0 - 60_000).map((p) => p.sample),
    [0, 0, 0],
  )
  assert.equal(h.samples('never_set', { age: 10_000, incr: 5000 }, now)[0]?.sample, 0)
})

const b = useBroker()
const get = async (path: string): Promise<Record<string, unknown>> => {
  const res = await fetch(`${b.broker.httpUrl}${path}`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
  })
  assert.equal(res.status, 200)
  return (await res.json()) as Record<string, unknown>
}
type Details = {
  rate: number
  samples: Array<{ sample: number; timestamp: number }>
  avg: number
  avg_rate: number
}

test('the API answers samples as RabbitMQ does, for the overview, queues, exchanges and vhosts', async () => {
  const conn = await amqp.connect(b.url)
  const ch = await conn.createChannel()
  await ch.assertQueue('sampled')
  for (let i = 0; i < 5; i++) ch.sendToQueue('sampled', Buffer.from('x'))
  await ch.checkQueue('sampled')
  const params = 'lengths_age=60&lengths_incr=5&msg_rates_age=60&msg_rates_incr=5'
  let details: Details | undefined
  const deadline = Date.now() + 12_000
  while (Date.now() < deadline) {
    const o = await get(`api/overview?${params}`)
    details = (o['queue_totals'] as Record<string, Details>)['messages_details']
    if (details?.samples[0]?.sample === 5) break
    await new Promise((r) => setTimeout(r, 250))
  }
  assert.ok(details)
  assert.deepEqual(Object.keys(details).sort(), ['avg', 'avg_rate', 'rate', 'samples'])
  assert.equal(details.samples.length, 13)
  assert.equal(details.samples[0]?.sample, 5)
  for (let i = 0; i < details.samples.length; i++) {
    const ts = details.samples[i]?.timestamp as number
    assert.equal(ts % 5000, 0)
    if (i > 0) assert.equal(ts, (details.samples[i - 1]?.timestamp as number) - 5000)
  }
  const q = await get(`api/queues/%2F/sampled?${params}`)
  assert.equal((q['messages_ready_details'] as Details).samples[0]?.sample, 5)
  const publish = (q['message_stats'] as Record<string, Details>)['publish_details']
  assert.equal(publish?.samples[0]?.sample, 5)
  const list = (await get(`api/queues?${params}`)) as unknown as Array<Record<string, Details>>
  assert.ok(list.some((x) => x['messages_details']?.samples[0]?.sample === 5))
  const vhost = await get(`api/vhosts/%2F?${params}`)
  assert.ok(Array.isArray((vhost['messages_details'] as Details).samples))
  const ex = await get(`api/exchanges/%2F/amq.direct?${params}`)
  assert.ok(ex)
  // Missing, partial or invalid parameters ask for nothing.
  for (const bad of ['lengths_age=60', 'lengths_age=x&lengths_incr=5', 'lengths_age=60&lengths_incr=0']) {
    const o = await get(`api/overview?${bad}`)
    assert.deepEqual(Object.keys((o['queue_totals'] as Record<string, Details>)['messages_details'] ?? {}), [
      'rate',
    ])
  }
  await ch.deleteQueue('sampled')
  await conn.close()
})
