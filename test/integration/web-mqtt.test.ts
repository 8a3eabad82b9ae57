// MQTT over WebSocket (RabbitMQ's Web MQTT plugin) with real clients: MQTT.js on ws://host:port/ws,
// QoS 0 and 1, MQTT over WebSocket to and from AMQP, the HTTP side (path /ws only, subprotocols), packets
// split across and gathered in WebSocket messages, a malformed packet closing only its connection, and the
// management API listing and closing a Web MQTT connection.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { WebSocket } from 'ws'
import { amqp, eventually, useBroker } from '../helpers/broker.js'

const b = useBroker()
const port = (): number => b.broker.webMqttPort ?? 0
const url = (): string => `ws://127.0.0.1:${port()}/ws`
const opts: IClientOptions = { username: 'guest', password: 'guest', reconnectPeriod: 0 }
const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` }

function client(o: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url(), { ...opts, ...o })
}

function collect(c: MqttClient): Array<{ topic: string; payload: string; qos: number }> {
  const got: Array<{ topic: string; payload: string; qos: number }> = []
  c.on('message', (topic, payload, p) => got.push({ topic, payload: payload.toString(), qos: p.qos }))
  return got
}

/** An MQTT 3.1.1 CONNECT (clean session, keepalive 60) with `clientId` and guest's credentials. */
function connectPacket(clientId: string): Buffer {
  const str = (s: string): Buffer => Buffer.concat([Buffer.from([0, s.length]), Buffer.from(s)])
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, 0xc2, 0, 60]),
    str(clientId),
    str('guest'),
    str('guest'),
  ])
  return Buffer.concat([Buffer.from([0x10, body.length]), body])
}

/** A raw WebSocket client that collects what the broker sends. */
async function rawSocket(
  protocols: string[] = ['mqtt'],
): Promise<{ ws: WebSocket; got: Buffer[]; closed: () => boolean }> {
  const ws = new WebSocket(url(), protocols)
  const got: Buffer[] = []
  let closed = false
  ws.on('message', (d: Buffer) => got.push(d))
  ws.on('close', () => (closed = true))
  ws.on('error', () => {})
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return { ws, got, closed: () => closed }
}

/** The HTTP status a WebSocket handshake to `path` is answered with (101 when it opened). */
function handshakeStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port()}${path}`, ['mqtt'])
    ws.once('open', () => {
      ws.terminate()
      resolve(101)
    })
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.once('error', reject)
  })
}

describe('Web MQTT: MQTT.js over ws://host:port/ws', () => {
  test('publish and subscribe at QoS 0 and 1', async () => {
    const sub = await client({ clientId: 'web-sub' })
    const pub = await client({ clientId: 'web-pub' })
    const got = collect(sub)
    await sub.subscribeAsync({ 'web/q0': { qos: 0 }, 'web/q1/+': { qos: 1 } })
    await pub.publishAsync('web/q0', 'zero', { qos: 0 })
    await pub.publishAsync('web/q1/x', 'one', { qos: 1 })
    await eventually(() => got.length === 2)
    assert.deepEqual(
      got.sort((x, y) => x.topic.localeCompare(y.topic)),
      [
        { topic: 'web/q0', payload: 'zero', qos: 0 },
        { topic: 'web/q1/x', payload: 'one', qos: 1 },
      ],
    )
    await Promise.all([sub.endAsync(), pub.endAsync()])
  })

  test('an MQTT publish over WebSocket reaches an AMQP consumer, and an AMQP publish a Web MQTT subscriber', async () => {
    const conn = await amqp.connect(b.url)
    const ch = await conn.createChannel()
    const { queue } = await ch.assertQueue('', { exclusive: true })
    await ch.bindQueue(queue, 'amq.topic', 'web.to.amqp')
    const toAmqp: string[] = []
    await ch.consume(queue, (m) => m && toAmqp.push(m.content.toString()), { noAck: true })
    const c = await client({ clientId: 'web-cross' })
    const got = collect(c)
    await c.subscribeAsync('amqp/to/web', { qos: 1 })
    await c.publishAsync('web/to/amqp', 'from ws', { qos: 1 })
    ch.publish('amq.topic', 'amqp.to.web', Buffer.from('from amqp'))
    await eventually(() => toAmqp.length === 1 && got.length === 1)
    assert.deepEqual(toAmqp, ['from ws'])
    assert.deepEqual(got, [{ topic: 'amqp/to/web', payload: 'from amqp', qos: 1 }])
    await c.endAsync()
    await conn.close()
  })

  test('a QoS 0 subscriber gets all of a 20 MiB flood (back-pressure through the WebSocket)', async () => {
    const c = await client({ clientId: 'web-flooded' })
    let got = 0
    c.on('message', () => void got++)
    await c.subscribeAsync('web-flood/#', { qos: 0 })
    const conn = await amqp.connect(b.url)
    const ch = await conn.createConfirmChannel()
    const body = Buffer.alloc(4096, 0x78)
    for (let i = 0; i < 5000; i++) ch.publish('amq.topic', 'web-flood.x', body)
    await ch.waitForConfirms()
    await eventually(() => got >= 5000, 15_000)
    assert.equal(got, 5000)
    await c.endAsync()
    await conn.close()
  })

  test('a client id taken over from TCP by a WebSocket client', async () => {
    const tcp = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.broker.mqttPort ?? 0}`, {
      ...opts,
      clientId: 'web-takeover',
    })
    let tcpClosed = false
    tcp.on('close', () => (tcpClosed = true))
    const ws = await client({ clientId: 'web-takeover' })
    await eventually(() => tcpClosed)
    assert.equal(ws.connected, true)
    await ws.endAsync()
    await tcp.endAsync(true)
  })
})

describe('Web MQTT: the HTTP side and the WebSocket messages', () => {
  test('only /ws (and /ws/) upgrade: another path is 404, a plain request to /ws 426', async () => {
    assert.equal(await handshakeStatus('/ws'), 101)
    assert.equal(await handshakeStatus('/ws/'), 101)
    assert.equal(await handshakeStatus('/mqtt'), 404)
    assert.equal((await fetch(`http://127.0.0.1:${port()}/ws`)).status, 426)
    assert.equal((await fetch(`http://127.0.0.1:${port()}/`)).status, 404)
  })

  test('subprotocols: mqtt, else mqttv3.1; a client offering none is served too (RabbitMQ 3.10)', async () => {
    for (const [offered, answered] of [
      [['mqtt'], 'mqtt'],
      [['mqttv3.1', 'mqtt'], 'mqtt'],
      [['mqttv3.1'], 'mqttv3.1'],
      [[], ''],
    ] as Array<[string[], string]>) {
      const { ws } = await rawSocket(offered)
      assert.equal(ws.protocol, answered, offered.join())
      ws.terminate()
    }
  })

  test('a packet split across messages, two in one, binary frames back, text frames ignored', async () => {
    const { ws, got } = await rawSocket([])
    const connect = connectPacket('web-raw')
    ws.send('ignored text')
    ws.send(connect.subarray(0, 5))
    ws.send(Buffer.concat([connect.subarray(5), Buffer.from([0xc0, 0])])) // the rest, then PINGREQ
    // CONNACK and PINGRESP, in one message or two: a WebSocket message is a part of the byte stream.
    await eventually(() => Buffer.concat(got).length >= 6)
    assert.ok(got.length <= 2)
    assert.deepEqual(Buffer.concat(got), Buffer.from([0x20, 2, 0, 0, 0xd0, 0]))
    ws.close()
  })

  test('a malformed packet closes only its own connection', async () => {
    const healthy = await client({ clientId: 'web-healthy' })
    const got = collect(healthy)
    await healthy.subscribeAsync('web/still', { qos: 1 })
    const bad = await rawSocket()
    bad.ws.send(connectPacket('web-bad'))
    await eventually(() => bad.got.length === 1)
    bad.ws.send(Buffer.from([0xf0, 0x00])) // packet type 15 does not exist in MQTT 3.1.1
    await eventually(bad.closed)
    await healthy.publishAsync('web/still', 'alive', { qos: 1 })
    await eventually(() => got.length === 1)
    assert.equal(healthy.connected, true)
    await healthy.endAsync()
  })
})

describe('Web MQTT in the management API', () => {
  test('listed as Web MQTT 3.1.1 on its port, closed by DELETE /api/connections/{name}', async () => {
    const c = await client({ clientId: 'web-listed' })
    let closed = false
    c.on('close', () => (closed = true))
    const list = (await (
      await fetch(`${b.broker.httpUrl}api/connections`, { headers: auth })
    ).json()) as Array<{
      name: string
      protocol: string
      port: number
      client_properties: { client_id?: string }
      channels: number
    }>
    const mine = list.find((x) => x.client_properties.client_id === 'web-listed')
    assert.ok(mine, JSON.stringify(list))
    assert.equal(mine.protocol, 'Web MQTT 3.1.1')
    assert.equal(mine.port, port())
    assert.equal(mine.channels, 1)
    const del = await fetch(`${b.broker.httpUrl}api/connections/${encodeURIComponent(mine.name)}`, {
      method: 'DELETE',
      headers: auth,
    })
    assert.equal(del.status, 204)
    await eventually(() => closed)
    c.end(true)
  })

  test('the overview lists the http/web-mqtt listener; protocol-listener/web-mqtt is ok', async () => {
    const o = (await (await fetch(`${b.broker.httpUrl}api/overview`, { headers: auth })).json()) as {
      listeners: Array<{ protocol: string; port: number }>
    }
    assert.ok(o.listeners.some((l) => l.protocol === 'http/web-mqtt' && l.port === port()))
    const check = await fetch(`${b.broker.httpUrl}api/health/checks/protocol-listener/web-mqtt`, {
      headers: auth,
    })
    assert.deepEqual(await check.json(), { status: 'ok', protocol: 'http/web-mqtt' })
  })
})
