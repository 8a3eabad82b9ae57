// STOMP over WebSocket (RabbitMQ's Web STOMP plugin) with real clients: @stomp/stompjs on a `ws`
// WebSocket to ws://host:port/ws, SEND, SUBSCRIBE and ACK, STOMP over WebSocket to and from AMQP, the
// HTTP side (path /ws only, v1x.stomp subprotocols, text frames), a malformed frame closing only its
// connection, the management API listing and closing a Web STOMP connection, and port 0 turning the
// WebSocket listeners off.
import assert from 'node:assert/strict'
import { connect as tcpConnect } from 'node:net'
import { describe, test } from 'node:test'
import { Client, type IFrame, type IMessage, type IStompSocket, type StompConfig } from '@stomp/stompjs'
import { WebSocket } from 'ws'
import { startBroker } from '../../src/index.js'
import { amqp, eventually, useBroker } from '../helpers/broker.js'

const b = useBroker()
const port = (): number => b.broker.webStompPort ?? 0
const url = (): string => `ws://127.0.0.1:${port()}/ws`
const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` }

/** A stompjs client on a `ws` WebSocket offering v12.stomp, as a browser page would connect. */
async function wsStomp(config: StompConfig = {}): Promise<Client> {
  const client = new Client({
    webSocketFactory: () => new WebSocket(url(), ['v12.stomp']) as unknown as IStompSocket,
    connectHeaders: { login: 'guest', passcode: 'guest' },
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    ...config,
  })
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve()
    client.onStompError = (f: IFrame) => reject(new Error(`${f.headers['message'] ?? ''}: ${f.body}`))
    client.onWebSocketClose = () => reject(new Error('closed before CONNECTED'))
    client.activate()
  })
  client.onStompError = () => {}
  client.onWebSocketClose = () => {}
  return client
}

/** A raw WebSocket client keeping each message the broker sends with its frame type. */
async function rawSocket(
  protocols: string[],
): Promise<{ ws: WebSocket; got: Array<{ text: string; binary: boolean }>; closed: () => boolean }> {
  const ws = new WebSocket(url(), protocols)
  const got: Array<{ text: string; binary: boolean }> = []
  let closed = false
  ws.on('message', (d: Buffer, binary: boolean) => got.push({ text: d.toString(), binary }))
  ws.on('close', () => (closed = true))
  ws.on('error', () => {})
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return { ws, got, closed: () => closed }
}

const CONNECT = 'CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\nhost:/\n\n\0'

describe('Web STOMP: stompjs over ws://host:port/ws', () => {
  test('SEND, SUBSCRIBE with client-individual acks, ACK: an acked message is gone', async () => {
    const c = await wsStomp()
    assert.equal(c.connectedVersion, '1.2')
    const got: IMessage[] = []
    c.subscribe('/queue/web-acks', (m) => got.push(m), { ack: 'client-individual' })
    for (const body of ['one', 'two', 'three']) c.publish({ destination: '/queue/web-acks', body })
    await eventually(() => got.length === 3)
    assert.deepEqual(
      got.map((m) => m.body),
      ['one', 'two', 'three'],
    )
    const q = b.broker.broker.vhosts.get('/')?.queues.get('web-acks')
    assert.equal(q?.unackedCount, 3)
    for (const m of got) m.ack()
    await eventually(() => q?.messageCount === 0)
    await c.deactivate()
  })

  test('a STOMP send over WebSocket reaches an AMQP consumer, and an AMQP publish a Web STOMP subscriber', async () => {
    const conn = await amqp.connect(b.url)
    const ch = await conn.createChannel()
    await ch.assertQueue('web-to-amqp', { durable: false, autoDelete: true })
    const toAmqp: string[] = []
    await ch.consume('web-to-amqp', (m) => m && toAmqp.push(m.content.toString()), { noAck: true })
    const c = await wsStomp()
    const got: IMessage[] = []
    const subscribed = new Promise<void>((resolve) => c.watchForReceipt('sub', () => resolve()))
    c.subscribe('/queue/amqp-to-web', (m) => got.push(m), { receipt: 'sub' })
    await subscribed
    c.publish({ destination: '/amq/queue/web-to-amqp', body: 'from ws' })
    ch.sendToQueue('amqp-to-web', Buffer.from('from amqp'))
    await eventually(() => toAmqp.length === 1 && got.length === 1)
    assert.deepEqual(toAmqp, ['from ws'])
    assert.equal(got[0]?.body, 'from amqp')
    await c.deactivate()
    await conn.close()
  })
})

describe('Web STOMP: the HTTP side and the WebSocket messages', () => {
  test('subprotocols: the newest v1x.stomp offered; a client offering none is served too', async () => {
    for (const [offered, answered] of [
      [['v10.stomp', 'v11.stomp', 'v12.stomp'], 'v12.stomp'],
      [['v10.stomp', 'v11.stomp'], 'v11.stomp'],
      [[], ''],
    ] as Array<[string[], string]>) {
      const { ws } = await rawSocket(offered)
      assert.equal(ws.protocol, answered, offered.join())
      ws.terminate()
    }
    // Offered only others: answered with none, which a WebSocket client refuses (as with RabbitMQ).
    await assert.rejects(rawSocket(['stomp']), /no subprotocol/)
  })

  test('frames out are text frames; frames in, text or binary, several in one message, are all read', async () => {
    const { ws, got } = await rawSocket(['v12.stomp'])
    ws.send(Buffer.from(CONNECT + 'SUBSCRIBE\nid:1\ndestination:/queue/web-raw\n\n\0')) // a binary frame
    ws.send('SEND\ndestination:/queue/web-raw\n\nhello\0SEND\ndestination:/queue/web-raw\n\nagain\0')
    await eventually(() => got.filter((m) => m.text.includes('MESSAGE')).length >= 1)
    await eventually(
      () =>
        got
          .map((m) => m.text)
          .join('')
          .split('MESSAGE').length === 3,
    )
    assert.ok(got[0]?.text.startsWith('CONNECTED\n'))
    assert.ok(got.every((m) => !m.binary))
    assert.match(got.map((m) => m.text).join(''), /\n\nhello\0[^]*\n\nagain\0/)
    ws.close()
  })

  test('wrong path is 404, a plain request to /ws 426', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port()}/stomp`, ['v12.stomp'])
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0)
        ws.terminate()
      })
      ws.once('open', () => reject(new Error('opened')))
      ws.once('error', reject)
    })
    assert.equal(status, 404)
    assert.equal((await fetch(`http://127.0.0.1:${port()}/ws`)).status, 426)
  })

  test('a malformed frame gets an ERROR and closes only its own connection', async () => {
    const healthy = await wsStomp()
    const got: IMessage[] = []
    healthy.subscribe('/queue/web-still', (m) => got.push(m))
    const bad = await rawSocket(['v12.stomp'])
    bad.ws.send(CONNECT)
    await eventually(() => bad.got.length === 1)
    bad.ws.send('BOGUS\n\n\0')
    await eventually(bad.closed)
    assert.match(bad.got[1]?.text ?? '', /^ERROR\n/)
    healthy.publish({ destination: '/queue/web-still', body: 'alive' })
    await eventually(() => got.length === 1)
    assert.equal(healthy.connected, true)
    await healthy.deactivate()
  })
})

describe('Web STOMP in the management API', () => {
  test('listed as Web STOMP 1.2 on its port, closed by DELETE /api/connections/{name}', async () => {
    const c = await wsStomp()
    let closed = false
    c.onWebSocketClose = () => (closed = true)
    const list = (await (
      await fetch(`${b.broker.httpUrl}api/connections`, { headers: auth })
    ).json()) as Array<{
      name: string
      protocol: string
      port: number
    }>
    const mine = list.filter((x) => x.protocol === 'Web STOMP 1.2')
    assert.equal(mine.length, 1, JSON.stringify(list))
    assert.equal(mine[0]?.port, port())
    const del = await fetch(`${b.broker.httpUrl}api/connections/${encodeURIComponent(mine[0]?.name ?? '')}`, {
      method: 'DELETE',
      headers: auth,
    })
    assert.equal(del.status, 204)
    await eventually(() => closed)
    await c.deactivate()
  })

  test('the overview lists the http/web-stomp listener; protocol-listener/web-stomp is ok', async () => {
    const o = (await (await fetch(`${b.broker.httpUrl}api/overview`, { headers: auth })).json()) as {
      listeners: Array<{ protocol: string; port: number }>
    }
    assert.ok(o.listeners.some((l) => l.protocol === 'http/web-stomp' && l.port === port()))
    const check = await fetch(`${b.broker.httpUrl}api/health/checks/protocol-listener/web-stomp`, {
      headers: auth,
    })
    assert.deepEqual(await check.json(), { status: 'ok', protocol: 'http/web-stomp' })
  })
})

test('port 0 turns the Web MQTT and Web STOMP listeners off', async () => {
  const off = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    logLevel: 'silent',
    webMqttPort: 0,
    webStompPort: 0,
  })
  try {
    assert.equal(off.webMqttPort, undefined)
    assert.equal(off.webStompPort, undefined)
    assert.notEqual(off.stompPort, undefined)
    const o = (await (await fetch(`${off.httpUrl}api/overview`, { headers: auth })).json()) as {
      listeners: Array<{ protocol: string }>
    }
    const protocols = o.listeners.map((l) => l.protocol)
    assert.ok(!protocols.includes('http/web-mqtt') && !protocols.includes('http/web-stomp'), protocols.join())
  } finally {
    await off.close()
  }
})

test(
  'a stopping broker closes its WebSockets (ERROR, then close 1000) and drops idle HTTP connections at once',
  { timeout: 10_000 },
  async () => {
    const broker = await startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
    const wsPort = broker.webStompPort ?? 0
    const idle = tcpConnect(wsPort, '127.0.0.1')
    const halfSent = tcpConnect(wsPort, '127.0.0.1', () => halfSent.write('GET /ws HTTP/1.1\r\nHost: x\r\n'))
    for (const s of [idle, halfSent]) s.on('error', () => {})
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/ws`, ['v12.stomp'])
    const got: string[] = []
    ws.on('message', (d: Buffer) => got.push(d.toString()))
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(CONNECT)
    await eventually(() => got.length === 1)
    const started = Date.now()
    await broker.close()
    assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`)
    assert.equal(await closed, 1000)
    assert.match(got[1] ?? '', /^ERROR\nmessage:Connection closed/)
  },
)
