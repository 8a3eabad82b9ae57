// Warren issue 10, item 8: after a crash, every message that may have been delivered comes back with
// redelivered=true, so that consumers which deduplicate on the flag stay safe. A consumer acks what it
// gets while the broker is SIGKILLed; acks and delivered-marks still in the broker's buffers are lost,
// so delivered messages come back: each of them must carry the flag. After a clean stop the flags are
// exact again: messages never delivered come back with redelivered=false.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { drainQueue, killAll, startWarren, tempDataDir, type WarrenProcess } from './harness.js'

const QUEUE = 'redelivered.q'
const COUNT = 4000

async function publishAll(w: WarrenProcess, count: number): Promise<void> {
  const conn = await w.connect()
  const ch = await conn.createConfirmChannel()
  await ch.assertQueue(QUEUE, { durable: true })
  for (let i = 0; i < count; i++) {
    ch.sendToQueue(QUEUE, Buffer.from(String(i)), { persistent: true, messageId: String(i) })
  }
  await ch.waitForConfirms()
  await conn.close()
}

/** Consumes with acks until `seen` holds `until` messages; resolves with what the client saw. */
async function consumeSome(w: WarrenProcess, until: number): Promise<Set<string>> {
  const conn = await w.connect()
  const ch = await conn.createChannel()
  ch.on('error', () => undefined)
  await ch.prefetch(200)
  const seen = new Set<string>()
  await new Promise<void>((resolve) => {
    void ch.consume(QUEUE, (m) => {
      if (!m) return
      seen.add(String(m.properties.messageId))
      ch.ack(m)
      if (seen.size === until) resolve()
    })
  })
  return seen
}

test('a crash brings delivered messages back flagged redelivered', async (t) => {
  const { dir, cleanup } = await tempDataDir('redelivered')
  try {
    let w = await startWarren(dir)
    await publishAll(w, COUNT)
    const seen = await consumeSome(w, COUNT / 2)
    await w.crash()
    w = await startWarren(dir)
    const conn = await w.connect()
    const back = await drainQueue(await conn.createChannel(), QUEUE)
    const unflagged = back.filter((d) => seen.has(d.id) && !d.redelivered).map((d) => d.id)
    t.diagnostic(
      `${seen.size} delivered before the crash, ${back.filter((d) => seen.has(d.id)).length} of them came back, ${unflagged.length} without redelivered`,
    )
    assert.deepEqual(unflagged.slice(0, 20), [])
    assert.equal(back.length, new Set(back.map((d) => d.id)).size, 'no message twice')
    await conn.close()
    await w.stop()
  } finally {
    await killAll()
    await cleanup()
  }
})

test('after a clean stop, messages never delivered come back unflagged', async () => {
  const { dir, cleanup } = await tempDataDir('redelivered-clean')
  try {
    let w = await startWarren(dir)
    await publishAll(w, 1000)
    // basic.get, so that exactly these were delivered (a consumer's prefetch would take more).
    const seen = new Set<string>()
    const getter = await w.connect()
    const ch = await getter.createChannel()
    for (let i = 0; i < 100; i++) {
      const m = await ch.get(QUEUE)
      assert.ok(m)
      seen.add(String(m.properties.messageId))
      if (i % 2 === 0) ch.ack(m)
    }
    await getter.close()
    assert.equal((await w.stop()).code, 0)
    w = await startWarren(dir)
    const conn = await w.connect()
    const back = await drainQueue(await conn.createChannel(), QUEUE)
    const wrong = back.filter((d) => seen.has(d.id) !== d.redelivered).map((d) => d.id)
    assert.deepEqual(wrong, [], 'redelivered exactly for the 50 delivered and not acked')
    assert.equal(back.length, 950)
    await conn.close()
    await w.stop()
  } finally {
    await killAll()
    await cleanup()
  }
})
