// No TLS 1.3 session tickets from any TLS listener (AMQPS, MQTT, STOMP, Web MQTT and Web STOMP over
// TLS), as RabbitMQ sends none: a client that reads and writes one TLS socket from two threads (stomp.py)
// broke when OpenSSL's two post-handshake tickets arrived as it sent its first frame. A Node TLS client
// emits 'session' for each NewSessionTicket it reads, so none may come before or after the first reply.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, test } from 'node:test'
import { useBroker } from '../helpers/broker.js'
import { selfSignedCert } from '../helpers/tls-cert.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-tls-tickets-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const files = selfSignedCert(dir)
const b = useBroker({
  tlsPort: 0,
  mqttTlsPort: 0,
  stompTlsPort: 0,
  webMqttTlsPort: 0,
  webStompTlsPort: 0,
  tlsCert: files.cert,
  tlsKey: files.key,
})

/** What each listener is sent first; any reply will do. */
const FIRST_BYTES = {
  amqps: Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'),
  // CONNECT, MQTT 3.1.1, clean session, keep-alive 60, client id "t".
  mqtts: Buffer.from([0x10, 0x0d, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 1, 0x74]),
  stomps: Buffer.from('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\x00'),
  wss: Buffer.from('GET /ws HTTP/1.1\r\nHost: localhost\r\n\r\n'),
}

/** The TLS version and the session tickets seen up to 200 ms after the listener's first reply. */
async function handshakeAndFirstReply(port: number, first: Buffer): Promise<[string | null, number]> {
  const socket = connect({ port, host: '127.0.0.1', ca: readFileSync(files.cert), servername: 'localhost' })
  let tickets = 0
  socket.on('session', () => tickets++)
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => socket.write(first))
    socket.once('data', () => resolve())
    socket.once('error', reject)
  })
  await sleep(200)
  const version = socket.getProtocol()
  socket.destroy()
  return [version, tickets]
}

test('AMQPS, MQTT, STOMP, Web MQTT and Web STOMP over TLS 1.3 send no session tickets', async () => {
  const ports = {
    amqps: b.broker.amqpsPort,
    mqtts: b.broker.mqttsPort,
    stomps: b.broker.stompsPort,
    'web-mqtt/tls': b.broker.webMqttTlsPort,
    'web-stomp/tls': b.broker.webStompTlsPort,
  }
  const seen: Record<string, [string | null, number]> = {}
  for (const [name, port] of Object.entries(ports)) {
    assert.ok(port, `${name} is listening`)
    const first = name.startsWith('web') ? FIRST_BYTES.wss : FIRST_BYTES[name as keyof typeof FIRST_BYTES]
    seen[name] = await handshakeAndFirstReply(port, first)
  }
  const expected = Object.fromEntries(Object.keys(ports).map((name) => [name, ['TLSv1.3', 0]]))
  assert.deepEqual(seen, expected)
})
