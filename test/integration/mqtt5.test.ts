// MQTT 5 with MQTT.js (protocolVersion 5): the CONNACK's properties, message properties to and from MQTT 5
// and AMQP clients, reason codes (a refused publish answered in its PUBACK, refused subscriptions), session
// expiry mapped onto the subscription queue, retain handling, and a server DISCONNECT on takeover.
import assert from 'node:assert/strict'
import { connect as tcpConnect, type Socket } from 'node:net'
import { describe, test } from 'node:test'
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt'
import { amqp, eventually, useBroker } from '../helpers/broker.js'

const b = useBroker()
const url = (): string => `mqtt://127.0.0.1:${b.broker.mqttPort ?? 0}`
const opts: IClientOptions = { username: 'guest', password: 'guest', reconnectPeriod: 0, protocolVersion: 5 }

async function client(o: IClientOptions = {}): Promise<{ c: MqttClient; connack: IConnackPacket }> {
  const c = mqtt.connect(url(), { ...opts, ...o })
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    c.once('connect', resolve)
    c.once('error', reject)
  })
  return { c, connack }
}

const queues = (): Map<string, { args: Record<string, unknown> }> =>
  b.broker.broker.vhosts.get('/')?.queues as unknown as Map<string, { args: Record<string, unknown> }>

describe('MQTT 5', () => {
  test('CONNACK says Maximum QoS 1 and the assigned id', async () => {
    const { c, connack } = await client({ clientId: '' })
    assert.equal(connack.reasonCode, 0)
    assert.equal(connack.properties?.maximumQoS, 1)
    assert.ok(connack.properties?.assignedClientIdentifier)
    await c.endAsync()
    const bad = mqtt.connect(url(), { ...opts, password: 'wrong' })
    const err = await new Promise<Error & { code?: number }>((resolve) => bad.once('error', resolve))
    assert.equal(err.code, 0x86, 'bad user name or password')
    bad.end(true)
  })

  test('message properties travel MQTT 5 → MQTT 5, MQTT 5 → AMQP and AMQP → MQTT 5', async () => {
    const { c: sub } = await client({ clientId: 'v5-sub' })
    const got: Array<{ topic: string; props: Record<string, unknown> | undefined }> = []
    sub.on('message', (topic, _p, packet) =>
      got.push({ topic, props: packet.properties as Record<string, unknown> }),
    )
    await sub.subscribeAsync('props/#', { qos: 1 })
    const conn = await amqp.connect(b.url)
    const ch = await conn.createChannel()
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.bindQueue(queue, 'amq.topic', 'props.#')

    const { c: pub } = await client()
    await pub.publishAsync('props/a', 'x', {
      qos: 1,
      properties: {
        contentType: 'text/plain',
        correlationData: Buffer.from('corr-1'),
        responseTopic: 'replies/here',
        userProperties: { tenant: 'acme' },
        messageExpiryInterval: 60,
      },
    })
    await eventually(() => got.length === 1)
    assert.equal(got[0]?.props?.['contentType'], 'text/plain')
    assert.deepEqual(got[0]?.props?.['correlationData'], Buffer.from('corr-1'))
    assert.equal(got[0]?.props?.['responseTopic'], 'replies/here')
    assert.deepEqual({ ...(got[0]?.props?.['userProperties'] as object) }, { tenant: 'acme' })
    const left = got[0]?.props?.['messageExpiryInterval'] as number
    assert.ok(left >= 59 && left <= 60, `message expiry left: ${left}`)

    let m: amqp.GetMessage | false = false
    for (let i = 0; i < 100 && !m; i++) {
      m = await ch.get(queue, { noAck: true })
      if (!m) await new Promise((r) => setTimeout(r, 10))
    }
    assert.ok(m)
    assert.equal(m.properties.contentType, 'text/plain')
    assert.equal(m.properties.correlationId, 'corr-1')
    assert.equal(m.properties.replyTo, 'replies.here')
    assert.equal(m.properties.expiration, '60000')
    assert.equal(m.properties.headers?.['tenant'], 'acme')

    ch.publish('amq.topic', 'props.b', Buffer.from('y'), {
      contentType: 'application/json',
      correlationId: 'c2',
      headers: { origin: 'amqp' },
    })
    await eventually(() => got.length === 2)
    assert.equal(got[1]?.topic, 'props/b')
    assert.equal(got[1]?.props?.['contentType'], 'application/json')
    assert.deepEqual({ ...(got[1]?.props?.['userProperties'] as object) }, { origin: 'amqp' })
    await conn.close()
    await Promise.all([pub.endAsync(), sub.endAsync()])
  })

  test('a refused QoS 1 publish is answered in its PUBACK (0x87) and the connection stays', async () => {
    const users = b.broker.users
    users.addUser('v5-limited', 'pw')
    users.setPermission('v5-limited', '/', { configure: '.*', write: '.*', read: '.*' })
    users.setTopicPermission('v5-limited', '/', { exchange: 'amq.topic', write: '^ok\\.', read: '^ok\\.' })
    const { c } = await client({ username: 'v5-limited', password: 'pw' })
    await assert.rejects(c.publishAsync('denied/x', 'no', { qos: 1 }), /Not authorized/i)
    await c.publishAsync('ok/x', 'yes', { qos: 1 })
    assert.ok(c.connected)
    await assert.rejects(
      c.subscribeAsync('$share/g/denied', { qos: 1 }),
      (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0] === 0x87,
    )
    await c.endAsync()
  })

  test('session expiry: a persistent session keeps its queue with x-expires; expiry 0 ends it', async () => {
    const props = { sessionExpiryInterval: 60 }
    const { c } = await client({ clientId: 'v5-keep', clean: false, properties: props })
    await c.subscribeAsync('keep/#', { qos: 1 })
    await c.endAsync()
    assert.equal(queues().get('mqtt-subscription-v5-keepqos1')?.args['x-expires'], 60_000)
    const { c: back, connack } = await client({ clientId: 'v5-keep', clean: false, properties: props })
    assert.equal(connack.sessionPresent, true)
    await back.endAsync()

    const { c: brief } = await client({ clientId: 'v5-brief', clean: false })
    await brief.subscribeAsync('brief/#', { qos: 1 })
    await brief.endAsync()
    await eventually(() => !queues().has('mqtt-subscription-v5-briefqos1'))
  })

  test('No Local: a client does not get back its own publishes, only those of others', async () => {
    const { c } = await client({ clientId: 'v5-nolocal' })
    const got: string[] = []
    c.on('message', (_t, payload) => got.push(payload.toString()))
    await c.subscribeAsync('nl/t', { qos: 1, nl: true })
    await c.publishAsync('nl/t', 'mine', { qos: 1 })
    const { c: other } = await client()
    await other.publishAsync('nl/t', 'theirs', { qos: 1 })
    await eventually(() => got.length === 1)
    await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(got, ['theirs'])
    await Promise.all([c.endAsync(), other.endAsync()])
  })

  test('retain handling 2 sends no retained messages; 0 does', async () => {
    const { c: pub } = await client()
    await pub.publishAsync('rh/t', 'kept', { qos: 1, retain: true })
    const { c } = await client()
    const got: string[] = []
    c.on('message', (topic, payload, packet) =>
      got.push(`${topic}=${payload.toString()}:${String(packet.retain)}`),
    )
    await c.subscribeAsync('rh/t', { qos: 1, rh: 2 })
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(got.length, 0)
    await c.subscribeAsync('rh/+', { qos: 1, rh: 0 })
    await eventually(() => got.length === 1)
    assert.equal(got[0], 'rh/t=kept:true')
    await Promise.all([pub.endAsync(), c.endAsync()])
  })

  test('DISCONNECT with reason 0x04 publishes the will; a QoS 2 publish is refused with 0x9B', async () => {
    const { c: watcher } = await client()
    const got: string[] = []
    watcher.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`))
    await watcher.subscribeAsync('v5wills/#', { qos: 1 })
    const will = { topic: 'v5wills/a', payload: Buffer.from('bye'), qos: 1 as const, retain: false }
    const { c } = await client({ will })
    await c.endAsync(false, { reasonCode: 4 })
    await eventually(() => got.length === 1)
    assert.equal(got[0], 'v5wills/a=bye')

    // A raw MQTT 5 client, since MQTT.js keeps to the Maximum QoS the CONNACK gave it.
    const s = await new Promise<Socket>((resolve) => {
      const sock = tcpConnect(b.broker.mqttPort ?? 0, '127.0.0.1', () => resolve(sock))
    })
    const replies: Buffer[] = []
    s.on('data', (d: Buffer) => replies.push(d))
    const closed = new Promise((resolve) => s.once('close', resolve))
    // CONNECT MQTT 5, clean start, no properties, client id "q2"; then PUBLISH QoS 2 to t, id 1.
    s.write(Buffer.from([0x10, 0x0f, 0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 2, 0, 0, 0, 0, 2, 0x71, 0x32]))
    s.write(Buffer.from([0x34, 0x07, 0, 1, 0x74, 0, 1, 0, 0x78]))
    await closed
    const all = Buffer.concat(replies)
    assert.deepEqual([...all.subarray(-3)], [0xe0, 1, 0x9b], 'DISCONNECT: QoS not supported')
    await watcher.endAsync()
  })

  test('the Will Delay Interval delays the will; the client connecting again within it cancels it', async () => {
    const { c: watcher } = await client()
    const got: string[] = []
    watcher.on('message', (_t, payload) => got.push(payload.toString()))
    await watcher.subscribeAsync('delayed/#', { qos: 1 })
    const will = (n: string) => ({
      topic: `delayed/${n}`,
      payload: Buffer.from(n),
      qos: 1 as const,
      retain: false,
      properties: { willDelayInterval: 1 },
    })
    const session = { clean: false, properties: { sessionExpiryInterval: 60 } }
    const { c: late } = await client({ clientId: 'v5-late', will: will('late'), ...session })
    const { c: back } = await client({ clientId: 'v5-back', will: will('back'), ...session })
    late.stream.destroy()
    back.stream.destroy()
    await new Promise((r) => setTimeout(r, 400))
    assert.deepEqual(got, [], 'not before the delay')
    const { c: again } = await client({ clientId: 'v5-back', ...session })
    await eventually(() => got.length === 1, 3000)
    await new Promise((r) => setTimeout(r, 900))
    assert.deepEqual(got, ['late'], 'the will of the client that came back is not sent')
    await Promise.all([again.endAsync(), watcher.endAsync()])
    late.end(true)
    back.end(true)
  })

  test('a client taken over is told so in a DISCONNECT (0x8E)', async () => {
    const { c: first } = await client({ clientId: 'v5-twin' })
    const told = new Promise<number | undefined>((resolve) =>
      first.once('disconnect', (p) => resolve(p.reasonCode)),
    )
    const { c: second } = await client({ clientId: 'v5-twin' })
    assert.equal(await told, 0x8e)
    await second.endAsync()
    first.end(true)
  })
})
