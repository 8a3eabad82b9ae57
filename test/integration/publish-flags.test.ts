// What RabbitMQ does with the publish flags and the routing headers: mandatory returns, the refused
// immediate flag, internal exchanges, CC/BCC sender-selected distribution, and expiration validation.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type amqp,
  channel,
  channelClosed,
  connect,
  connectionClosed,
  drain,
  getOne,
  sync,
  uniqueName,
  useTarget,
} from '../helpers/target.js'

const t = useTarget()

interface Returned {
  fields: { replyCode: number; replyText: string; exchange: string; routingKey: string }
  content: Buffer
}

describe('mandatory and immediate', () => {
  test('mandatory unroutable publish comes back as basic.return 312 NO_ROUTE with its content', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const ex = uniqueName('mand')
    await ch.assertExchange(ex, 'topic', { autoDelete: true })
    const returned = new Promise<Returned>((r) => ch.once('return', r))
    ch.publish(ex, 'a.b', Buffer.from('payload'), { mandatory: true, headers: { h: 1 } })
    const m = await returned
    assert.deepEqual(m.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: ex, routingKey: 'a.b' })
    assert.equal(m.content.toString(), 'payload')
    await ch.deleteExchange(ex)
    await conn.close()
  })

  test('a routable mandatory publish, or an unroutable one without mandatory, is not returned', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    let returns = 0
    ch.on('return', () => returns++)
    const { queue } = await ch.assertQueue('', { exclusive: true })
    ch.sendToQueue(queue, Buffer.from('x'), { mandatory: true })
    ch.publish('', uniqueName('nobody'), Buffer.from('x'))
    await sync(ch)
    assert.equal(returns, 0)
    assert.equal((await ch.checkQueue(queue)).messageCount, 1)
    await conn.close()
  })

  test('immediate=true: connection closed with 540 NOT_IMPLEMENTED', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const closed = connectionClosed(conn)
    // amqplib always sends immediate=false; send the publish through its lower-level API instead.
    const raw = ch as unknown as {
      sendMessage(fields: object, props: object, content: Buffer): boolean
    }
    raw.sendMessage(
      { exchange: '', routingKey: 'x', mandatory: false, immediate: true, ticket: 0 },
      { headers: {} },
      Buffer.from('x'),
    )
    assert.deepEqual(await closed, { code: 540, text: 'NOT_IMPLEMENTED - immediate=true' })
  })
})

describe('internal exchanges', () => {
  test('publishing to an internal exchange: 403 ACCESS_REFUSED', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const ex = uniqueName('internal')
    await ch.assertExchange(ex, 'fanout', { internal: true, autoDelete: false })
    const closed = channelClosed(ch)
    ch.publish(ex, '', Buffer.from('x'))
    assert.deepEqual(await closed, {
      code: 403,
      text: `ACCESS_REFUSED - cannot publish to internal exchange '${ex}' in vhost '/'`,
    })
    const ch2 = await channel(conn)
    await ch2.deleteExchange(ex)
    await conn.close()
  })

  test('an internal exchange still routes what is bound into it from another exchange', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const inner = uniqueName('inner')
    const outer = uniqueName('outer')
    await ch.assertExchange(inner, 'fanout', { internal: true, autoDelete: true })
    await ch.assertExchange(outer, 'fanout', { autoDelete: true })
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.bindQueue(queue, inner, '')
    await ch.bindExchange(inner, outer, '')
    ch.publish(outer, '', Buffer.from('via-outer'))
    assert.equal((await getOne(ch, queue, true)).content.toString(), 'via-outer')
    await ch.deleteExchange(outer)
    await ch.deleteExchange(inner)
    await conn.close()
  })
})

describe('CC and BCC', () => {
  async function setup(ch: amqp.Channel): Promise<{ ex: string; q: Record<string, string> }> {
    const ex = uniqueName('cc')
    await ch.assertExchange(ex, 'direct', { autoDelete: true })
    const q: Record<string, string> = {}
    for (const k of ['k1', 'k2', 'k3', 'k4']) {
      q[k] = (await ch.assertQueue('', { exclusive: true })).queue
      await ch.bindQueue(q[k], ex, k)
    }
    return { ex, q }
  }

  test('CC routes to the extra keys and is kept; BCC routes and is stripped from every copy', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { ex, q } = await setup(ch)
    ch.publish(ex, 'k1', Buffer.from('m'), { CC: ['k2'], BCC: ['k3'], headers: { other: 'kept' } })
    const got: Record<string, unknown> = {}
    for (const k of ['k1', 'k2', 'k3']) got[k] = (await getOne(ch, q[k] as string, true)).properties.headers
    const expected = { other: 'kept', CC: ['k2'] }
    assert.deepEqual(got, { k1: expected, k2: expected, k3: expected })
    assert.equal(await ch.get(q['k4'] as string), false)
    await ch.deleteExchange(ex)
    await conn.close()
  })

  test('a queue reached by several keys gets one copy', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { ex, q } = await setup(ch)
    await ch.bindQueue(q['k1'] as string, ex, 'k2')
    ch.publish(ex, 'k1', Buffer.from('once'), { CC: ['k2', 'k1'], BCC: ['k2'] })
    await getOne(ch, q['k2'] as string, true)
    assert.deepEqual(await drain(ch, q['k1'] as string), ['once'])
    await ch.deleteExchange(ex)
    await conn.close()
  })

  test('only BCC: routed by it, header removed', async () => {
    const conn = await connect(t)
    const ch = await channel(conn)
    const { ex, q } = await setup(ch)
    ch.publish(ex, 'nowhere', Buffer.from('b'), { BCC: ['k4'] })
    const m = await getOne(ch, q['k4'] as string, true)
    assert.equal(m.content.toString(), 'b')
    assert.equal(m.fields.routingKey, 'nowhere')
    assert.deepEqual(m.properties.headers, {})
    await ch.deleteExchange(ex)
    await conn.close()
  })
})

describe('expiration property validation', () => {
  for (const [expiration, text] of [
    ['abc', "PRECONDITION_FAILED - invalid expiration 'abc': no_integer"],
    ['10s', `PRECONDITION_FAILED - invalid expiration '10s': {leftover_string,"s"}`],
    ['-1', "PRECONDITION_FAILED - invalid expiration '-1': {value_negative,-1}"],
  ] as const) {
    test(`expiration '${expiration}': 406`, async () => {
      const conn = await connect(t)
      const ch = await channel(conn)
      const closed = channelClosed(ch)
      ch.sendToQueue(uniqueName('unused'), Buffer.from('x'), { expiration })
      assert.deepEqual(await closed, { code: 406, text })
      await conn.close()
    })
  }
})
