// STOMP with the real npm client (@stomp/stompjs over TCP) against RabbitMQ's mapping: logins, /queue,
// /topic, /exchange and /amq/queue destinations, the ack modes with NACK, receipts, transactions,
// prefetch-count, headers to and from AMQP properties, durable topic subscriptions and temp-queue replies.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Client, IMessage } from '@stomp/stompjs'
import { amqp, eventually, useBroker } from '../helpers/broker.js'
import { stompClient } from '../helpers/stomp.js'

const b = useBroker()
const port = (): number => b.broker.stompPort ?? 0
const connect = (headers: Record<string, string> = {}): Promise<Client> =>
  stompClient(port(), { connectHeaders: { login: 'guest', passcode: 'guest', ...headers } })

function collect(c: Client, destination: string, headers: Record<string, string> = {}): IMessage[] {
  const got: IMessage[] = []
  c.subscribe(destination, (m) => got.push(m), headers)
  return got
}

/** Sends with a receipt and waits for it (the broker has done what the frame asked). */
async function sendReceipted(
  c: Client,
  destination: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const receipt = `r-${Math.random()}`
  const done = new Promise<void>((resolve) => c.watchForReceipt(receipt, () => resolve()))
  c.publish({ destination, body, headers: { ...headers, receipt } })
  await done
}

/** Waits for a receipt on a frame already sent by `send` (given the receipt id to put on it). */
async function receipted(c: Client, send: (receipt: string) => void): Promise<void> {
  const receipt = `r-${Math.random()}`
  const done = new Promise<void>((resolve) => c.watchForReceipt(receipt, () => resolve()))
  send(receipt)
  await done
}

/** The session (listed as its connection's channel) whose subscription consumes `queue`. */
function sessionOf(queue: string): { unacked: { count: number }; txMode: boolean } {
  for (const conn of b.broker.stomp.connections) {
    const s = conn.channels.get(1)
    if (s && [...s.subscriptions.values()].some((sub) => sub.queue.name === queue)) return s
  }
  throw new Error(`no session consumes ${queue}`)
}

const queues = (): Map<string, { durable: boolean; autoDelete: boolean; readyCount: number }> =>
  b.broker.broker.vhosts.get('/')?.queues as unknown as Map<
    string,
    { durable: boolean; autoDelete: boolean; readyCount: number }
  >

describe('STOMP logins', () => {
  test('good credentials get CONNECTED with version and heart-beat; bad ones an ERROR frame', async () => {
    const c = await stompClient(port(), { heartbeatIncoming: 500, heartbeatOutgoing: 500 })
    assert.equal(c.connectedVersion, '1.2')
    await c.deactivate()
    await assert.rejects(connect({ passcode: 'wrong' }), /Bad CONNECT: Access refused for user 'guest'/)
    await assert.rejects(connect({ login: 'nobody' }), /Bad CONNECT: Access refused for user 'nobody'/)
    await assert.rejects(
      connect({ host: 'no-such-vhost' }),
      /Bad CONNECT: Virtual host 'no-such-vhost' access denied/,
    )
    b.broker.users.addUser('stomp-user', 'secret')
    await assert.rejects(
      connect({ login: 'stomp-user', passcode: 'secret' }),
      /Virtual host '\/' access denied/,
    )
    const ok = await connect({ host: '/' })
    await ok.deactivate()
  })
})

describe('STOMP destinations', () => {
  test('/queue/<name>: SEND declares a durable queue; a SUBSCRIBE receives what was sent', async () => {
    const c = await connect()
    await sendReceipted(c, '/queue/stomp-q1', 'first')
    const q = queues().get('stomp-q1')
    assert.ok(q?.durable && !q.autoDelete)
    assert.equal(q.readyCount, 1)
    const got = collect(c, '/queue/stomp-q1')
    await eventually(() => got.length === 1)
    assert.equal(got[0]?.body, 'first')
    assert.equal(got[0]?.headers['destination'], '/queue/stomp-q1')
    assert.equal(got[0]?.headers['redelivered'], 'false')
    assert.match(got[0]?.headers['message-id'] ?? '', /^T_sub-\d+@@session-[\w-]+@@\d+$/)
    await c.deactivate()
  })

  test('/topic/<key>: every subscriber gets a copy through amq.topic; the subscription queues go with them', async () => {
    const [a, s] = [await connect(), await connect()]
    const before = queues().size
    const got1 = collect(a, '/topic/stomp.*.x')
    const got2 = collect(s, '/topic/stomp.#')
    const amqpConn = await amqp.connect(b.url)
    const ch = await amqpConn.createChannel()
    await eventually(() => queues().size === before + 2)
    await sendReceipted(a, '/topic/stomp.a.x', 'hello')
    ch.publish('amq.topic', 'stomp.b.x', Buffer.from('from amqp'))
    await eventually(() => got1.length === 2 && got2.length === 2)
    assert.deepEqual(
      got1.map((m) => m.body),
      ['hello', 'from amqp'],
    )
    assert.equal(got1[1]?.headers['destination'], '/topic/stomp.b.x')
    await a.deactivate()
    await s.deactivate()
    await eventually(() => queues().size === before)
    await amqpConn.close()
  })

  test('/exchange/<name>/<key> publishes and binds there; /amq/queue/<name> takes an existing queue only', async () => {
    const c = await connect()
    const got = collect(c, '/exchange/amq.direct/stomp-key')
    const amqpConn = await amqp.connect(b.url)
    const ch = await amqpConn.createChannel()
    await ch.assertQueue('stomp-existing', { durable: false })
    await eventually(() => [...queues().keys()].some((n) => n.startsWith('stomp-subscription-')))
    await sendReceipted(c, '/exchange/amq.direct/stomp-key', 'direct')
    await sendReceipted(c, '/amq/queue/stomp-existing', 'to existing')
    await eventually(() => got.length === 1)
    assert.equal(got[0]?.headers['destination'], '/exchange/amq.direct/stomp-key')
    assert.equal((await ch.get('stomp-existing', { noAck: true })) !== false, true)
    const errors: string[] = []
    c.onStompError = (f) => errors.push(`${f.headers['message'] ?? ''}: ${f.body}`)
    c.subscribe('/amq/queue/stomp-missing', () => {})
    await eventually(() => errors.length === 1)
    assert.match(errors[0] ?? '', /^not_found: NOT_FOUND - no queue 'stomp-missing' in vhost '\/'/)
    assert.equal(queues().has('stomp-missing'), false, '/amq/queue never declares')
    await c.deactivate()
    await amqpConn.close()
  })
})

describe('STOMP acknowledgements', () => {
  test('client-individual: ACK settles one message; NACK requeues it (redelivered), requeue:false drops it', async () => {
    const c = await connect()
    for (const body of ['1', '2', '3']) await sendReceipted(c, '/queue/stomp-ack-ci', body)
    const got = collect(c, '/queue/stomp-ack-ci', { ack: 'client-individual' })
    await eventually(() => got.length === 3)
    got[1]?.ack()
    got[0]?.nack()
    await eventually(() => got.length === 4)
    assert.equal(got[3]?.body, '1')
    assert.equal(got[3]?.headers['redelivered'], 'true')
    got[2]?.nack({ requeue: 'false' })
    got[3]?.ack()
    await eventually(() => sessionOf('stomp-ack-ci').unacked.count === 0)
    assert.equal(queues().get('stomp-ack-ci')?.readyCount, 0, 'requeue:false dropped message 3')
    await c.deactivate()
  })

  test('client: an ACK settles every earlier delivery of the subscription; auto needs none', async () => {
    const c = await connect()
    for (const body of ['1', '2', '3']) await sendReceipted(c, '/queue/stomp-ack-c', body)
    const got = collect(c, '/queue/stomp-ack-c', { ack: 'client' })
    await eventually(() => got.length === 3)
    const session = sessionOf('stomp-ack-c')
    assert.equal(session.unacked.count, 3)
    await receipted(c, (receipt) => got[1]?.ack({ receipt }))
    assert.equal(session.unacked.count, 1, 'messages 1 and 2 are settled')
    await c.deactivate()
    await eventually(() => queues().get('stomp-ack-c')?.readyCount === 1)
    const again = await connect()
    const auto = collect(again, '/queue/stomp-ack-c')
    await eventually(() => auto.length === 1)
    assert.equal(auto[0]?.body, '3')
    assert.equal(auto[0]?.headers['ack'], undefined, 'auto deliveries carry no ack header')
    await again.deactivate()
    await eventually(() => queues().get('stomp-ack-c')?.readyCount === 0)
  })

  test('prefetch-count bounds the unacknowledged deliveries of a subscription', async () => {
    const c = await connect()
    for (let i = 0; i < 5; i++) await sendReceipted(c, '/queue/stomp-prefetch', String(i))
    const got = collect(c, '/queue/stomp-prefetch', { ack: 'client-individual', 'prefetch-count': '2' })
    await eventually(() => got.length === 2)
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(got.length, 2)
    got[0]?.ack()
    await eventually(() => got.length === 3)
    await c.deactivate()
  })
})

describe('STOMP transactions', () => {
  test('SENDs and ACKs wait for COMMIT; ABORT drops the SENDs and leaves the ACKed deliveries unacknowledged', async () => {
    const c = await connect()
    const got = collect(c, '/queue/stomp-tx', { ack: 'client-individual' })
    const aborted = c.begin()
    c.publish({ destination: '/queue/stomp-tx', body: 'aborted', headers: { transaction: aborted.id } })
    aborted.abort()
    const tx = c.begin()
    c.publish({ destination: '/queue/stomp-tx', body: 'committed', headers: { transaction: tx.id } })
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(got.length, 0, 'nothing before the COMMIT')
    tx.commit()
    await eventually(() => got.length === 1)
    assert.equal(got[0]?.body, 'committed')
    const session = sessionOf('stomp-tx')
    const ackTx = c.begin()
    got[0]?.ack({ transaction: ackTx.id })
    ackTx.abort()
    await sendReceipted(c, '/queue/stomp-tx-sync', 'receipts come in order')
    assert.equal(session.unacked.count, 1, 'the aborted ACK left the delivery unacknowledged')
    assert.equal(session.txMode, false)
    const ackTx2 = c.begin()
    got[0]?.ack({ transaction: ackTx2.id })
    ackTx2.commit()
    await eventually(() => session.unacked.count === 0)
    await eventually(() => queues().get('stomp-tx')?.readyCount === 0)
    await c.deactivate()
  })
})
