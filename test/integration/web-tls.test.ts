// Web MQTT and Web STOMP over TLS (wss://), with the AMQPS certificate (self-signed, made for the test):
// MQTT.js and stompjs publish and receive as over ws://, and /api/overview lists https/web-mqtt and
// https/web-stomp.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { Client, type IMessage, type IStompSocket } from '@stomp/stompjs'
import mqtt from 'mqtt'
import { WebSocket } from 'ws'
import { type RunningBroker, startBroker } from '../../src/index.js'
import { eventually } from '../helpers/broker.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-web-tls-'))
let broker: RunningBroker

before(async () => {
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')]
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-nodes',
      '-newkey',
      'rsa:2048',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  )
  broker = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    logLevel: 'silent',
    tlsCert: cert,
    tlsKey: key,
    webMqttTlsPort: 0,
    webStompTlsPort: 0,
  })
})
after(async () => {
  await broker?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('MQTT.js over wss:// publishes and receives', async () => {
  assert.ok(broker.webMqttTlsPort, 'a wss:// Web MQTT port is reported')
  const c = await mqtt.connectAsync(`wss://127.0.0.1:${broker.webMqttTlsPort}/ws`, {
    username: 'guest',
    password: 'guest',
    reconnectPeriod: 0,
    rejectUnauthorized: false,
  })
  const got: string[] = []
  c.on('message', (_t, payload) => got.push(payload.toString()))
  await c.subscribeAsync('wss/t', { qos: 1 })
  await c.publishAsync('wss/t', 'secure', { qos: 1 })
  await eventually(() => got.length === 1)
  assert.deepEqual(got, ['secure'])
  const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` }
  const listed = (await (await fetch(`${broker.httpUrl}api/connections`, { headers: auth })).json()) as {
    protocol: string
    ssl: boolean
    ssl_protocol: string
  }[]
  const web = listed.find((l) => l.protocol.startsWith('Web MQTT'))
  assert.equal(web?.ssl, true, 'a wss:// connection is listed as TLS')
  assert.equal(web?.ssl_protocol, 'tlsv1.3')
  await c.endAsync()
})

test('stompjs over wss:// sends and receives', async () => {
  assert.ok(broker.webStompTlsPort, 'a wss:// Web STOMP port is reported')
  const url = `wss://127.0.0.1:${broker.webStompTlsPort}/ws`
  const client = new Client({
    webSocketFactory: () =>
      new WebSocket(url, ['v12.stomp'], { rejectUnauthorized: false }) as unknown as IStompSocket,
    connectHeaders: { login: 'guest', passcode: 'guest' },
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
  })
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve()
    client.onWebSocketClose = () => reject(new Error('closed before CONNECTED'))
    client.activate()
  })
  const got: IMessage[] = []
  client.subscribe('/queue/wss', (m) => got.push(m))
  client.publish({ destination: '/queue/wss', body: 'secure' })
  await eventually(() => got.length === 1)
  assert.equal(got[0]?.body, 'secure')
  await client.deactivate()
})

test('the overview lists https/web-mqtt and https/web-stomp', async () => {
  const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` }
  const o = (await (await fetch(`${broker.httpUrl}api/overview`, { headers: auth })).json()) as {
    listeners: Array<{ protocol: string; port: number }>
  }
  const has = (protocol: string, port: number | undefined): boolean =>
    o.listeners.some((l) => l.protocol === protocol && l.port === port)
  assert.ok(has('https/web-mqtt', broker.webMqttTlsPort), JSON.stringify(o.listeners))
  assert.ok(has('https/web-stomp', broker.webStompTlsPort), JSON.stringify(o.listeners))
})
