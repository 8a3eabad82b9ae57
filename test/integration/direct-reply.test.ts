// Direct reply-to (amq.rabbitmq.reply-to): an RPC client consumes the pseudo-queue without acks, its
// requests carry a broker-generated reply address, and replies go straight back to it.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type amqp,
  channel,
  channelClosed,
  connect,
  Inbox,
  rejection,
  sync,
  useTarget,
} from '../helpers/target.js'

const t = useTarget()
const REPLY_TO = 'amq.rabbitmq.reply-to'

/** A server that answers every request on `queue` with the upper-cased body, to its reply_to. */
async function startServer(ch: amqp.Channel, queue: string): Promise<string[]> {
  const seenReplyTo: string[] = []
  await ch.consume(
    queue,
    (m) => {
      if (!m) return
      seenReplyTo.push(m.properties.replyTo as string)
      ch.sendToQueue(m.properties.replyTo as string, Buffer.from(m.content.toString().toUpperCase()), {
        correlationId: m.properties.correlationId as string,
      })
    },
    { noAck: true },
  )
  return seenReplyTo
}

describe('direct reply-to', () => {
  test('RPC round trip: the reply arrives on the no-ack reply consumer with its correlation id', async () => {
    const conn = await connect(t)
    const server = await channel(conn)
    const client = await channel(conn)
    const { queue } = await server.assertQueue('', { exclusive: true })
    const seen = await startServer(server, queue)
    const replies = new Inbox()
    const { consumerTag } = await client.consume(REPLY_TO, replies.onMessage, { noAck: true })
    client.sendToQueue(queue, Buffer.from('ping'), { replyTo: REPLY_TO, correlationId: 'c1' })
    client.sendToQueue(queue, Buffer.from('pong'), { replyTo: REPLY_TO, correlationId: 'c2' })
    const got = await replies.count(2)
    assert.deepEqual(
      got.map((m) => [m.content.toString(), m.properties.correlationId, m.fields.consumerTag]),
      [
        ['PING', 'c1', consumerTag],
        ['PONG', 'c2', consumerTag],
      ],
    )
    assert.equal(got[0]?.fields.exchange, '')
    assert.equal(got[0]?.fields.redelivered, false)
    assert.match(seen[0] as string, /^amq\.rabbitmq\.reply-to\.[^.]/, 'the server sees a routable address')
    assert.equal(seen[0], seen[1], 'one address per channel')
    assert.equal(got[0]?.fields.routingKey, seen[0])
    await conn.close()
  })

  test('a reply from another connection reaches the requester', async () => {
    const serverConn = await connect(t)
    const clientConn = await connect(t)
    const server = await channel(serverConn)
    const client = await channel(clientConn)
    const { queue } = await server.assertQueue('', { exclusive: false, autoDelete: true })
    await startServer(server, queue)
    const replies = new Inbox()
    await client.consume(REPLY_TO, replies.onMessage, { noAck: true })
    client.sendToQueue(queue, Buffer.from('far'), { replyTo: REPLY_TO })
    assert.deepEqual(
      (await replies.count(1)).map((m) => m.content.toString()),
      ['FAR'],
    )
    await clientConn.close()
    await serverConn.close()
  })

  test('a reply to an address whose consumer is gone is dropped quietly', async () => {
    const conn = await connect(t)
    const server = await channel(conn)
    const client = await channel(conn)
    const { queue } = await server.assertQueue('', { exclusive: true })
    const seen: string[] = []
    await server.consume(queue, (m) => m && seen.push(m.properties.replyTo as string), { noAck: true })
    const { consumerTag } = await client.consume(REPLY_TO, () => {}, { noAck: true })
    client.sendToQueue(queue, Buffer.from('q'), { replyTo: REPLY_TO })
    await sync(client)
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5))
    await client.cancel(consumerTag)
    server.sendToQueue(seen[0] as string, Buffer.from('late'))
    await sync(server)
    await server.checkQueue(queue)
    await conn.close()
  })

  test('publishing with reply_to amq.rabbitmq.reply-to without the reply consumer: 406', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const closed = channelClosed(ch)
    ch.sendToQueue('whatever', Buffer.from('x'), { replyTo: REPLY_TO })
    assert.deepEqual(await closed, {
      code: 406,
      text: 'PRECONDITION_FAILED - fast reply consumer does not exist',
    })
    await conn.close()
  })

  test('consuming amq.rabbitmq.reply-to in ack mode: 406', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    assert.deepEqual(await rejection(() => ch.consume(REPLY_TO, () => {}, { noAck: false })), {
      code: 406,
      text: 'PRECONDITION_FAILED - reply consumer cannot acknowledge',
    })
    await conn.close()
  })

  test('a second reply consumer on the same channel: 406', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    await ch.consume(REPLY_TO, () => {}, { noAck: true })
    assert.deepEqual(await rejection(() => ch.consume(REPLY_TO, () => {}, { noAck: true })), {
      code: 406,
      text: 'PRECONDITION_FAILED - reply consumer already set',
    })
    await conn.close()
  })

  test('passive declare: the pseudo-queue and a live reply address report one consumer; a dead address is 404', async () => {
    // RabbitMQ answers queue.declare-ok with message_count 0 and consumer_count 1 for these names.
    const conn = await connect(t)
    const server = await channel(conn)
    const client = await channel(conn)
    assert.deepEqual(await server.checkQueue(REPLY_TO), {
      queue: REPLY_TO,
      messageCount: 0,
      consumerCount: 1,
    })
    const { queue } = await server.assertQueue('', { exclusive: true })
    const seen = await startServer(server, queue)
    const replies = new Inbox()
    const { consumerTag } = await client.consume(REPLY_TO, replies.onMessage, { noAck: true })
    client.sendToQueue(queue, Buffer.from('x'), { replyTo: REPLY_TO })
    await replies.count(1)
    const address = seen[0] as string
    assert.deepEqual(await server.checkQueue(address), { queue: address, messageCount: 0, consumerCount: 1 })
    await client.cancel(consumerTag)
    assert.deepEqual(await rejection(() => server.checkQueue(address)), {
      code: 404,
      text: `NOT_FOUND - no queue '${address}' in vhost '/'`,
    })
    await conn.close()
  })
})
