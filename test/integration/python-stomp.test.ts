// STOMP from a client other than stompjs: Python's stomp.py runs test/fixtures/stomp-py.py against an
// in-process Warren, with amqplib on the AMQP side. The same script against RabbitMQ 3.10.8 gave the
// same properties, MESSAGE headers and requeue. Skipped where no python3 has stomp.py (Debian's
// python3-stomp; .ci/run installs it).
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { test } from 'node:test'
import { amqp, useBroker } from '../helpers/broker.js'

const b = useBroker()
const SCRIPT = fileURLToPath(new URL('../../../test/fixtures/stomp-py.py', import.meta.url))
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import stomp'], { stdio: 'ignore' }).status === 0,
)
const skip = !PYTHON && 'no python3 with stomp.py (Debian: python3-stomp)'

/** Runs the script asynchronously (the broker runs in this process: a synchronous child would stall it). */
async function run(...rest: string[]): Promise<Record<string, unknown>> {
  const args = [SCRIPT, '127.0.0.1', String(b.broker.stompPort), ...rest]
  const { stdout } = await promisify(execFile)(PYTHON as string, args, { timeout: 60_000 })
  return JSON.parse(stdout) as Record<string, unknown>
}

test('stomp.py: a SEND with headers reaches an AMQP consumer with those properties', { skip }, async () => {
  const queue = `stomppy-${randomBytes(4).toString('hex')}`
  assert.deepEqual(await run('send', queue), { receipt: true, errors: [] })
  const conn = await amqp.connect(b.url)
  try {
    const ch = await conn.createChannel()
    const m = await ch.get(queue, { noAck: true })
    assert.ok(m, 'the message is in the queue the SEND declared')
    assert.equal(m.content.toString(), 'hello from stomp.py')
    assert.equal(m.fields.exchange, '')
    assert.equal(m.fields.routingKey, queue)
    const p = m.properties
    assert.equal(p.contentType, 'text/plain')
    assert.equal(p.deliveryMode, 2)
    assert.equal(p.priority, 5)
    assert.equal(p.correlationId, 'corr-1')
    assert.equal(p.replyTo, '/queue/replies')
    assert.equal((p.headers as Record<string, unknown>)['x-custom'], 'custom value')
    await ch.deleteQueue(queue)
  } finally {
    await conn.close()
  }
})

test(
  'stomp.py: SUBSCRIBE with ack:client; an ACK settles up to its message, the rest is requeued',
  { skip },
  async () => {
    const queue = `stomppy-sub-${randomBytes(4).toString('hex')}`
    const conn = await amqp.connect(b.url)
    try {
      const ch = await conn.createChannel()
      await ch.assertQueue(queue, { durable: true })
      for (const body of ['a', 'b', 'c']) ch.sendToQueue(queue, Buffer.from(body))
      const r = await run('subscribe', queue, '3')
      assert.deepEqual(r['errors'], [])
      assert.deepEqual(
        r['messages'],
        ['a', 'b', 'c'].map((body) => ({
          body,
          destination: `/queue/${queue}`,
          subscription: 'sub-1',
          redelivered: 'false',
        })),
      )
      // The ACK of "b" acknowledged "a" and "b"; "c" went back to the queue when the client left.
      const left = await ch.get(queue, { noAck: true })
      assert.ok(left)
      assert.equal(left.content.toString(), 'c')
      assert.equal(left.fields.redelivered, true)
      assert.equal(await ch.get(queue, { noAck: true }), false)
      await ch.deleteQueue(queue)
    } finally {
      await conn.close()
    }
  },
)
