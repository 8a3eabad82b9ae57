// STOMP and AMQP clients on the same queues (@stomp/stompjs over TCP, amqplib): SEND headers as AMQP
// properties and AMQP properties as MESSAGE headers, durable topic subscriptions across a disconnect,
// /temp-queue reply-to answered through /reply-queue, and STOMP connections in the management API.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Client, IMessage } from '@stomp/stompjs'
import { amqp, eventually, useBroker } from '../helpers/broker.js'
import { stompClient } from '../helpers/stomp.js'

const b = useBroker()
const connect = (): Promise<Client> => stompClient(b.broker.stompPort ?? 0)

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

function collect(c: Client, destination: string, headers: Record<string, string> = {}): IMessage[] {
  const got: IMessage[] = []
  c.subscribe(destination, (m) => got.push(m), headers)
  return got
}

describe('STOMP headers and AMQP properties', () => {
  test('a SEND reaches an AMQP consumer with its headers as properties, as RabbitMQ maps them', async () => {
    const conn = await amqp.connect(b.url)
    const ch = await conn.createChannel()
    await ch.assertQueue('stomp-to-amqp', { durable: true })
    const c = await connect()
    await sendReceipted(c, '/amq/queue/stomp-to-amqp', 'payload', {
      'content-type': 'text/plain',
      'content-encoding': 'gzip',
      persistent: 'true',
      priority: '5',
      'correlation-id': 'corr-1',
      'reply-to': '/queue/replies',
      expiration: '60000',
      'amqp-message-id': 'mid-1',
      timestamp: '1700000000',
      type: 'greeting',
      'user-id': 'guest',
      'app-id': 'stomp-test',
      'x-custom': 'v:1',
    })
    const m = await ch.get('stomp-to-amqp', { noAck: true })
    assert.ok(m)
    assert.equal(m.content.toString(), 'payload')
    const p = m.properties
    assert.equal(p.contentType, 'text/plain')
    assert.equal(p.contentEncoding, 'gzip')
    assert.equal(p.deliveryMode, 2)
    assert.equal(p.priority, 5)
    assert.equal(p.correlationId, 'corr-1')
    assert.equal(p.replyTo, '/queue/replies')
    assert.equal(p.expiration, '60000')
    assert.equal(p.messageId, 'mid-1')
    assert.equal(p.timestamp, 1700000000)
    assert.equal(p.type, 'greeting')
    assert.equal(p.userId, 'guest')
    assert.equal(p.appId, 'stomp-test')
    assert.equal(p.headers?.['x-custom'], 'v:1', 'a header with a colon survives the 1.2 escapes')
    assert.equal(p.headers?.['destination'], undefined)
    // RabbitMQ 3.10 keeps the frame's receipt and content-length as AMQP headers.
    assert.match(String(p.headers?.['receipt']), /^r-/)
    assert.equal(p.headers?.['content-length'], '7')
    await c.deactivate()
    await conn.close()
  })

  test('an AMQP publish reaches a STOMP subscriber with its properties as headers', async () => {
    const c = await connect()
    const got = collect(c, '/queue/amqp-to-stomp')
    const conn = await amqp.connect(b.url)
    const ch = await conn.createChannel()
    await eventually(() => b.broker.broker.vhosts.get('/')?.queues.has('amqp-to-stomp') === true)
    ch.sendToQueue('amqp-to-stomp', Buffer.from('from amqp'), {
      contentType: 'application/json',
      persistent: true,
      priority: 3,
      correlationId: 'c-9',
      replyTo: 'reply-q',
      messageId: 'm-9',
      timestamp: 1700000001,
      type: 't',
      appId: 'amqp-app',
      // amqplib writes 42 as a byte, 70000 as a signedint, 2^40 as a long.
      headers: {
        'x-str': 'text',
        'x-num': 42,
        'x-int': 70000,
        'x-long': 2 ** 40,
        'x-bool': true,
        'x-table': { a: 1 },
      },
    })
    await eventually(() => got.length === 1)
    const h = got[0]?.headers ?? {}
    assert.equal(got[0]?.body, 'from amqp')
    assert.equal(h['content-type'], 'application/json')
    assert.equal(h['persistent'], 'true')
    assert.equal(h['priority'], '3')
    assert.equal(h['correlation-id'], 'c-9')
    assert.equal(h['reply-to'], 'reply-q')
    assert.equal(h['amqp-message-id'], 'm-9')
    assert.equal(h['timestamp'], '1700000001')
    assert.equal(h['type'], 't')
    assert.equal(h['app-id'], 'amqp-app')
    assert.equal(h['x-str'], 'text')
    // As RabbitMQ 3.10: strings, signedints and longs become headers; bytes, booleans and tables do not.
    assert.equal(h['x-int'], '70000')
    assert.equal(h['x-long'], String(2 ** 40))
    assert.equal(h['x-num'], undefined)
    assert.equal(h['x-bool'], undefined)
    assert.equal(h['x-table'], undefined, 'tables are left out')
    assert.equal(h['subscription'], 'sub-0')
    assert.equal(h['destination'], '/queue/amqp-to-stomp')
    await c.deactivate()
    await conn.close()
  })
})

describe('STOMP durable topic subscriptions and temp queues', () => {
  test('a durable subscription keeps its queue across a disconnect; UNSUBSCRIBE with durable:true deletes it', async () => {
    const headers = {
      id: 'stomp-durable-1',
      durable: 'true',
      'auto-delete': 'false',
      ack: 'client-individual',
    }
    const first = await connect()
    first.subscribe('/topic/stomp.durable', () => {}, headers)
    const names = (): string[] =>
      [...(b.broker.broker.vhosts.get('/')?.queues.keys() ?? [])].filter((n) =>
        n.startsWith('stomp-subscription-'),
      )
    await eventually(() => names().length === 1)
    await first.deactivate()
    const publisher = await connect()
    await sendReceipted(publisher, '/topic/stomp.durable', 'while away', { persistent: 'true' })
    assert.equal(names().length, 1, 'the queue outlived its connection')
    const again = await connect()
    const got = collect(again, '/topic/stomp.durable', headers)
    await eventually(() => got.length === 1)
    assert.equal(got[0]?.body, 'while away')
    got[0]?.ack()
    again.unsubscribe('stomp-durable-1', { durable: 'true' })
    await eventually(() => names().length === 0)
    await again.deactivate()
    await publisher.deactivate()
  })

  test('reply-to /temp-queue/<name> becomes /reply-queue/<queue>; the reply reaches the requester', async () => {
    const server = await connect()
    const requests = collect(server, '/queue/stomp-rpc')
    const requester = await connect()
    const replies: IMessage[] = []
    requester.onUnhandledMessage = (m) => replies.push(m)
    await eventually(() => b.broker.broker.vhosts.get('/')?.queues.has('stomp-rpc') === true)
    requester.publish({
      destination: '/queue/stomp-rpc',
      body: 'ping',
      headers: { 'reply-to': '/temp-queue/rpc' },
    })
    await eventually(() => requests.length === 1)
    const replyTo = requests[0]?.headers['reply-to'] ?? ''
    assert.match(replyTo, /^\/reply-queue\/amq\.gen-/)
    server.publish({ destination: replyTo, body: 'pong' })
    await eventually(() => replies.length === 1)
    assert.equal(replies[0]?.body, 'pong')
    assert.equal(replies[0]?.headers['subscription'], '/temp-queue/rpc')
    const queue = replyTo.slice('/reply-queue/'.length)
    await requester.deactivate()
    await eventually(() => b.broker.broker.vhosts.get('/')?.queues.has(queue) === false)
    await server.deactivate()
  })
})

describe('STOMP queue arguments', () => {
  test('x- headers of a SEND or SUBSCRIBE are the arguments of the queue it declares; x-queue-name names a topic queue', async () => {
    const c = await connect()
    c.subscribe('/topic/stomp.args', () => {}, { 'x-queue-name': 'stomp-named-sub', 'x-max-length': '5' })
    await sendReceipted(c, '/queue/stomp-args', 'x', { 'x-message-ttl': '60000', 'x-queue-type': 'classic' })
    const qs = b.broker.broker.vhosts.get('/')?.queues
    await eventually(() => qs?.has('stomp-named-sub') === true)
    const named = qs?.get('stomp-named-sub')
    assert.deepEqual(named?.args, { 'x-max-length': 5 })
    assert.equal(named?.durable, false)
    assert.deepEqual(qs?.get('stomp-args')?.args, { 'x-message-ttl': 60000, 'x-queue-type': 'classic' })
    await c.deactivate()
  })
})

describe('STOMP queue declarations of SEND', () => {
  test('a SEND to a /queue/ whose queue was deleted since the last SEND there declares it again', async () => {
    const c = await connect()
    await sendReceipted(c, '/queue/stomp-redeclare', 'first')
    const conn = await amqp.connect(b.url)
    const ch = await conn.createChannel()
    await ch.deleteQueue('stomp-redeclare')
    await sendReceipted(c, '/queue/stomp-redeclare', 'second')
    const m = await ch.get('stomp-redeclare', { noAck: true })
    assert.ok(m, 'the queue is there again, with the second message')
    assert.equal(m.content.toString(), 'second')
    await conn.close()
    await c.deactivate()
  })
})

describe('STOMP queue flags', () => {
  test("durable, auto-delete and exclusive headers declare /queue queues with RabbitMQ 3.10's defaults", async () => {
    const c = await connect()
    await sendReceipted(c, '/queue/stomp-flags-default', 'x')
    await sendReceipted(c, '/queue/stomp-flags-transient', 'x', { durable: 'false' })
    await sendReceipted(c, '/queue/stomp-flags-ad', 'x', { 'auto-delete': 'true' })
    await sendReceipted(c, '/queue/stomp-flags-excl', 'x', { exclusive: 'true' })
    const flags = (name: string): [boolean, boolean, boolean] | undefined => {
      const q = b.broker.broker.vhosts.get('/')?.queues.get(name)
      return q && [q.durable, q.autoDelete, q.exclusiveOwner !== undefined]
    }
    // [durable, auto-delete, exclusive], as RabbitMQ 3.10.8 declares them for the same headers.
    assert.deepEqual(flags('stomp-flags-default'), [true, false, false])
    assert.deepEqual(flags('stomp-flags-transient'), [false, true, true])
    assert.deepEqual(flags('stomp-flags-ad'), [true, true, false])
    assert.deepEqual(flags('stomp-flags-excl'), [false, false, true])
    await c.deactivate()
    await eventually(() => flags('stomp-flags-excl') === undefined, 2000)
  })

  test('a durable topic subscription without auto-delete:false is durable but goes with its connection', async () => {
    const c = await connect()
    c.subscribe('/topic/stomp.flags', () => {}, {
      id: 'ad',
      durable: 'true',
      'x-queue-name': 'stomp-durable-ad',
    })
    const qs = b.broker.broker.vhosts.get('/')?.queues
    await eventually(() => qs?.has('stomp-durable-ad') === true)
    assert.equal(qs?.get('stomp-durable-ad')?.durable, true)
    assert.equal(qs?.get('stomp-durable-ad')?.autoDelete, true)
    await c.deactivate()
    await eventually(() => qs?.has('stomp-durable-ad') === false)
  })
})

describe('STOMP in the management API', () => {
  test('connections are listed with their protocol and closed by DELETE', async () => {
    const c = await connect()
    const api = `http://127.0.0.1:${b.broker.httpPort}/api/connections`
    const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` }
    const list = (await (await fetch(api, { headers: auth })).json()) as Array<{
      name: string
      protocol: string
      user: string
    }>
    const mine = list.find((x) => x.protocol === 'STOMP 1.2')
    assert.ok(mine, JSON.stringify(list))
    assert.equal(mine.user, 'guest')
    c.subscribe('/queue/stomp-listed', () => {}, { ack: 'client' })
    await eventually(() => b.broker.broker.vhosts.get('/')?.queues.get('stomp-listed')?.consumerCount === 1)
    const channels = (await (
      await fetch(`${api}/${encodeURIComponent(mine.name)}/channels`, { headers: auth })
    ).json()) as Array<{
      consumer_count: number
    }>
    assert.equal(channels.length, 1, "the session is the connection's one channel")
    assert.equal(channels[0]?.consumer_count, 1)
    let closed = false
    c.onWebSocketClose = () => (closed = true)
    const del = await fetch(`${api}/${encodeURIComponent(mine.name)}`, { method: 'DELETE', headers: auth })
    assert.equal(del.status, 204)
    await eventually(() => closed)
  })
})
