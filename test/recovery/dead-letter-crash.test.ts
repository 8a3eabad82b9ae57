// Warren issue 10, item 3: a message confirmed into a durable queue must survive a crash while it moves
// to a durable dead-letter queue. The move removes it from the source queue's store and appends a copy to
// the dead-letter queue's store; the copy must be durable before the removal is, or a SIGKILL between the
// two loses a message the broker confirmed.
//
// Three durable source queues dead-letter into their own durable dead-letter queue, one per path:
// drop-head overflow (x-max-length), expiry (x-message-ttl) and rejection (a consumer nacks without
// requeue). A publisher on a confirm channel publishes persistent messages to all three; the broker is
// SIGKILLed right after a batch of confirms arrives (that is when the source stores have just written
// their removals), restarted, and both queues of each pair are drained: every confirmed message must be in
// one of them (in both is allowed: a crash after the copy and before the removal keeps two).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type amqp from 'amqplib'
import { drainQueue, killAll, sleep, startWarren, tempDataDir, type WarrenProcess } from './harness.js'

interface Path {
  source: string
  dlq: string
  args: Record<string, unknown>
}

const PATHS: readonly Path[] = [
  { source: 'dlx.maxlen', dlq: 'dlx.maxlen.dead', args: { 'x-max-length': 10 } },
  { source: 'dlx.expired', dlq: 'dlx.expired.dead', args: { 'x-message-ttl': 20 } },
  { source: 'dlx.rejected', dlq: 'dlx.rejected.dead', args: {} },
]

async function declare(w: WarrenProcess): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  for (const p of PATHS) {
    await ch.assertQueue(p.dlq, { durable: true })
    await ch.assertQueue(p.source, {
      durable: true,
      arguments: { ...p.args, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': p.dlq },
    })
  }
  await conn.close()
}

/** Nacks (requeue=false) everything from the rejecting path's source, so it is dead-lettered. */
async function rejecter(w: WarrenProcess): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  ch.on('error', () => undefined)
  await ch.prefetch(100)
  await ch.consume('dlx.rejected', (m) => m && ch.nack(m, false, false))
}

/** Publishes batches with confirms for about runMs, then kills the broker as soon as a batch is confirmed. */
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
      ch.publish('', PATHS[i % PATHS.length]!.source, Buffer.from(id), { persistent: true, messageId: id })
    }
    await ch.waitForConfirms()
    for (const id of ids) confirmed.add(id)
    if (Date.now() >= until) break
  }
  await w.crash()
  return confirmed
}

test('dead-lettered confirmed messages survive SIGKILL (drop-head, expiry, rejection)', async (t) => {
  const { dir, cleanup } = await tempDataDir('dlx-crash')
  try {
    let w = await startWarren(dir)
    await declare(w)
    const rounds = 3
    let lost = 0
    let total = 0
    for (let round = 0; round < rounds; round++) {
      await rejecter(w)
      const confirmed = await publishThenKill(w, round, 600 + round * 200)
      total += confirmed.size
      w = await startWarren(dir)
      const conn = await w.connect()
      const ch = await conn.createChannel()
      const back = new Set<string>()
      // Expired and rejected messages may still be moving when the broker starts: let them settle.
      await sleep(100)
      for (const p of PATHS) {
        for (const q of [p.source, p.dlq]) for (const d of await drainQueue(ch, q)) back.add(d.id)
      }
      await conn.close()
      const missing = [...confirmed].filter((id) => !back.has(id))
      lost += missing.length
      const byPath = PATHS.map(
        (p, k) =>
          `${p.source} ${missing.filter((id) => Number(id.split('.')[2]) % PATHS.length === k).length}`,
      )
      t.diagnostic(
        `round ${round}: ${confirmed.size} confirmed, ${missing.length} lost (${byPath.join(', ')})`,
      )
      assert.deepEqual(missing.slice(0, 20), [], `round ${round}: confirmed messages lost`)
    }
    t.diagnostic(`${total} confirmed over ${rounds} kills, ${lost} lost`)
    await w.stop()
  } finally {
    await killAll()
    await cleanup()
  }
})
