// Issue 14, item 4: a durable x-message-deduplication exchange keeps its cache across kill -9. A
// publisher streams persistent keyed messages (about 2,000 in flight) into a durable queue; the broker is
// SIGKILLed mid-stream. After the restart the publisher resends every message it sent, confirmed or
// not, as a publisher unsure of its last batches would. Then every confirmed message must be in the queue
// exactly once (not lost, and its resend deduplicated), and so must every unconfirmed one (its resend was
// confirmed). The case that tests the recovery: an unconfirmed message whose copy reached the queue's disk
// just before the kill while its key did not (the key is stored once the copy is on disk, one fsync
// later); the exchange learns that key again from the recovered copy.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type amqp from 'amqplib'
import { drainQueue, killAll, sleep, startWarren, tempDataDir, type WarrenProcess } from './harness.js'

const EXCHANGE = 'crash.dedup'
const QUEUE = 'crash.dedup.q'
const IN_FLIGHT = 2000

async function declare(w: WarrenProcess): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  await ch.assertExchange(EXCHANGE, 'x-message-deduplication', {
    durable: true,
    arguments: { 'x-cache-size': 1_000_000 },
  })
  await ch.assertQueue(QUEUE, { durable: true })
  await ch.bindQueue(QUEUE, EXCHANGE, '')
  await conn.close()
}

function publish(ch: amqp.ConfirmChannel, id: string, done: (err: unknown) => void): void {
  ch.publish(
    EXCHANGE,
    '',
    Buffer.from(id),
    { persistent: true, messageId: id, headers: { 'x-deduplication-header': id } },
    done,
  )
}

/** Publishes until the broker is killed after runMs; returns what was sent and what was confirmed. */
async function publishThenKill(w: WarrenProcess, round: number, runMs: number) {
  const conn = await w.connect()
  conn.on('error', () => undefined)
  const ch = await conn.createConfirmChannel()
  ch.on('error', () => undefined)
  const sent: string[] = []
  const confirmed = new Set<string>()
  let killed = false
  const loop = (async () => {
    for (let i = 0; !killed; i++) {
      if (sent.length - confirmed.size > IN_FLIGHT) {
        await sleep(1)
        continue
      }
      const id = `${round}.${i}`
      try {
        publish(ch, id, (err) => {
          if (err === null || err === undefined) confirmed.add(id)
        })
      } catch {
        break // the channel closed under the kill
      }
      sent.push(id)
      if (i % 100 === 0) await sleep(0)
    }
  })()
  await sleep(runMs)
  await w.crash()
  killed = true
  await loop
  return { sent, confirmed: new Set(confirmed) }
}

async function resendAll(w: WarrenProcess, ids: readonly string[]): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createConfirmChannel()
  for (const id of ids) publish(ch, id, () => undefined)
  await ch.waitForConfirms()
  await conn.close()
}

test('a resend after SIGKILL is routed once: no confirmed message lost, none twice', async (t) => {
  const { dir, cleanup } = await tempDataDir('dedup-crash')
  try {
    let w = await startWarren(dir)
    await declare(w)
    let total = 0
    let twice = 0
    for (let round = 0; round < 3; round++) {
      const { sent, confirmed } = await publishThenKill(w, round, 700 + round * 300)
      total += confirmed.size
      w = await startWarren(dir)
      await resendAll(w, sent)
      const conn = await w.connect()
      const ch = await conn.createChannel()
      const counts = new Map<string, number>()
      for (const d of await drainQueue(ch, QUEUE)) counts.set(d.id, (counts.get(d.id) ?? 0) + 1)
      await conn.close()
      const lost = sent.filter((id) => !counts.has(id))
      const confirmedTwice = [...confirmed].filter((id) => (counts.get(id) ?? 0) > 1)
      const unconfirmedTwice = sent.filter((id) => !confirmed.has(id) && (counts.get(id) ?? 0) > 1)
      twice += unconfirmedTwice.length
      t.diagnostic(
        `round ${round}: ${sent.length} sent, ${confirmed.size} confirmed before the kill, ` +
          `${lost.length} lost, ${confirmedTwice.length} confirmed twice, ${unconfirmedTwice.length} unconfirmed twice`,
      )
      assert.deepEqual(lost.slice(0, 20), [], `round ${round}: messages lost`)
      assert.deepEqual(confirmedTwice.slice(0, 20), [], `round ${round}: a confirmed message routed again`)
      assert.deepEqual(
        unconfirmedTwice.slice(0, 20),
        [],
        `round ${round}: an unconfirmed message routed twice`,
      )
    }
    t.diagnostic(`${total} confirmed over 3 kills, 0 lost, ${twice} twice`)
    await w.stop()
  } finally {
    await killAll()
    await cleanup()
  }
})
