// Issue 14, item 1: persistent delayed messages confirmed by a durable x-delayed-message exchange survive
// kill -9. A publisher sends persistent messages with delays from 0 to 1.5 s (some due while it publishes,
// so the broker is routing due messages onward, from the exchange's store into a durable queue, when it is
// killed); the broker is SIGKILLed right after a batch of confirms; after the restart, once every delay
// has passed, every confirmed message must be in the queue (twice is allowed: a kill after the queue had
// its copy and before the exchange's store recorded the removal routes it again).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type amqp from 'amqplib'
import { drainQueue, killAll, sleep, startWarren, tempDataDir, type WarrenProcess } from './harness.js'

const EXCHANGE = 'crash.delayed'
const QUEUE = 'crash.delayed.q'

async function declare(w: WarrenProcess): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  await ch.assertExchange(EXCHANGE, 'x-delayed-message', {
    durable: true,
    arguments: { 'x-delayed-type': 'direct' },
  })
  await ch.assertQueue(QUEUE, { durable: true })
  await ch.bindQueue(QUEUE, EXCHANGE, 'k')
  await conn.close()
}

async function publishThenKill(w: WarrenProcess, round: number, runMs: number): Promise<Set<string>> {
  const conn = await w.connect()
  const ch: amqp.ConfirmChannel = await conn.createConfirmChannel()
  ch.on('error', () => undefined)
  const confirmed = new Set<string>()
  const until = Date.now() + runMs
  for (let batch = 0; ; batch++) {
    const ids: string[] = []
    for (let i = 0; i < 50; i++) {
      const id = `${round}.${batch}.${i}`
      ids.push(id)
      const delay = (i * 31) % 1500 // 0 (routed at once) to ~1.5 s
      ch.publish(EXCHANGE, 'k', Buffer.from(id), {
        persistent: true,
        messageId: id,
        headers: { 'x-delay': delay },
      })
    }
    await ch.waitForConfirms()
    for (const id of ids) confirmed.add(id)
    if (Date.now() >= until) break
  }
  await w.crash()
  return confirmed
}

test('confirmed delayed messages survive SIGKILL and are routed once due', async (t) => {
  const { dir, cleanup } = await tempDataDir('delayed-crash')
  try {
    let w = await startWarren(dir)
    await declare(w)
    let total = 0
    for (let round = 0; round < 3; round++) {
      const confirmed = await publishThenKill(w, round, 800 + round * 300)
      total += confirmed.size
      w = await startWarren(dir)
      await sleep(1700) // every delay has passed
      const conn = await w.connect()
      const ch = await conn.createChannel()
      const back = new Set((await drainQueue(ch, QUEUE)).map((d) => d.id))
      const stats = (await w.http('GET', `/api/exchanges/%2F/${EXCHANGE}`)).body
      await conn.close()
      const missing = [...confirmed].filter((id) => !back.has(id))
      t.diagnostic(`round ${round}: ${confirmed.size} confirmed, ${back.size} back, ${missing.length} lost`)
      assert.deepEqual(missing.slice(0, 20), [], `round ${round}: confirmed delayed messages lost`)
      assert.equal((stats as { messages_delayed: number }).messages_delayed, 0)
    }
    t.diagnostic(`${total} confirmed over 3 kills, 0 lost`)
    await w.stop()
  } finally {
    await killAll()
    await cleanup()
  }
})
