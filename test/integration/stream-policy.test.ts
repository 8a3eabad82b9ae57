// Policies on streams: the stream keys a policy may carry (max-age, stream-max-segment-size-bytes,
// queue-leader-locator, initial-cluster-size), refused as RabbitMQ 3.10.8 refuses them, and a policy's
// max-age retiring old segments. Runs against the reference broker too:
//   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5676 WARREN_TEST_HTTP_URL=http://127.0.0.1:15676 \
//     node --test dist/test/integration/stream-policy.test.js
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type amqp from 'amqplib'
import { channel, confirmChannel, connect, Inbox, sleep, uniqueName, useTarget } from '../helpers/target.js'

const t = useTarget()
const AUTH = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` }

function httpBase(): string | undefined {
  const http = t.external ? process.env['WARREN_TEST_HTTP_URL'] : t.broker.httpUrl
  if (http === undefined) return undefined
  return http.endsWith('/') ? http : `${http}/`
}

async function putPolicy(name: string, pattern: string, definition: object): Promise<Response> {
  return fetch(new URL(`api/policies/%2F/${encodeURIComponent(name)}`, httpBase()), {
    method: 'PUT',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ pattern, 'apply-to': 'queues', definition }),
  })
}

async function deletePolicy(name: string): Promise<void> {
  await fetch(new URL(`api/policies/%2F/${encodeURIComponent(name)}`, httpBase()), {
    method: 'DELETE',
    headers: AUTH,
  })
}

test('stream policy keys are checked with RabbitMQ words', async () => {
  if (httpBase() === undefined) return
  const name = uniqueName('pol')
  const refused: [object, string][] = [
    [{ 'max-age': '0s' }, '<<"0s">> is not a valid max age'],
    [{ 'stream-max-segment-size-bytes': 'x' }, '<<"x">> is not a valid segment size'],
    [{ 'stream-max-segment-size-bytes': -1 }, '-1 is not a valid segment size'],
    [{ 'queue-leader-locator': 'foo' }, '<<"foo">> is not a valid queue leader locator value'],
    [{ 'initial-cluster-size': 'x' }, '<<"x">> is not a valid cluster size'],
  ]
  for (const [definition, words] of refused) {
    const res = await putPolicy(name, '^nothing$', definition)
    assert.equal(res.status, 400, JSON.stringify(definition))
    const reason = ((await res.json()) as { reason: string }).reason
    assert.ok(
      reason.includes(words.replaceAll('<', '&lt;').replaceAll('>', '&gt;')) || reason.includes(words),
      reason,
    )
  }
  const accepted = [
    { 'max-age': '10M' },
    { 'max-age': '1h', 'stream-max-segment-size-bytes': 1000 },
    { 'queue-leader-locator': 'balanced', 'initial-cluster-size': 3 },
    { 'queue-leader-locator': 'client-local' },
  ]
  for (const definition of accepted) {
    const res = await putPolicy(name, '^nothing$', definition)
    assert.ok(res.status === 201 || res.status === 204, `${JSON.stringify(definition)}: ${res.status}`)
  }
  await deletePolicy(name)
})

test("a policy's max-age retires a stream's old segments", async () => {
  if (httpBase() === undefined) return
  const q = uniqueName('stream-aged')
  const ch = await confirmChannel(await connect(t))
  const args = { 'x-queue-type': 'stream', 'x-stream-max-segment-size-bytes': 1000 }
  await ch.assertQueue(q, { durable: true, arguments: args })
  const policy = uniqueName('aged')
  assert.equal((await putPolicy(policy, `^${q}$`, { 'max-age': '1s' })).status, 201)
  try {
    const send = async (from: number, n: number): Promise<void> => {
      for (let i = from; i < from + n; i++) {
        ch.sendToQueue(q, Buffer.from(`m${i}`.padEnd(200, '.')))
        await ch.waitForConfirms() // one chunk each, five to a segment
      }
    }
    await send(0, 20)
    let first = 0
    // The segments written before the pause are past the age once a later write rolls a segment.
    for (let round = 0; round < 20 && first === 0; round++) {
      await sleep(1100)
      await send(20 + round * 6, 6)
      first = await firstOffset(q)
    }
    assert.ok(first >= 15, `the stream starts at ${first}`)
  } finally {
    await deletePolicy(policy)
  }
})

async function firstOffset(q: string): Promise<number> {
  const ch = await channel(await connect(t))
  await ch.prefetch(10)
  const inbox = new Inbox()
  await ch.consume(q, (m) => inbox.onMessage(m), { arguments: { 'x-stream-offset': 'first' } })
  const [m] = (await inbox.count(1)) as amqp.ConsumeMessage[]
  await ch.close()
  return Number((m as amqp.ConsumeMessage).properties.headers?.['x-stream-offset'])
}
