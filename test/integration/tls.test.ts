// The AMQPS listener: the same broker over TLS, with a self-signed certificate made for the test.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import amqp from 'amqplib'
import mqtt from 'mqtt'
import { type RunningBroker, startBroker } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-tls-'))
let broker: RunningBroker

before(async () => {
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
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  )
  broker = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    logLevel: 'silent',
    tlsPort: 0,
    mqttTlsPort: 0,
    tlsCert: join(dir, 'cert.pem'),
    tlsKey: join(dir, 'key.pem'),
  })
})
after(async () => {
  await broker?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('clients connect over TLS and publish and consume as over plain TCP', async () => {
  assert.ok(broker.amqpsPort, 'an AMQPS port is reported')
  const conn = await amqp.connect(`amqps://guest:guest@127.0.0.1:${broker.amqpsPort}/`, {
    rejectUnauthorized: false,
  })
  const ch = await conn.createChannel()
  const { queue } = await ch.assertQueue('', { exclusive: true })
  ch.sendToQueue(queue, Buffer.from('over tls'))
  const got = await new Promise<string>(
    (resolve) => void ch.consume(queue, (m) => m && resolve(m.content.toString()), { noAck: true }),
  )
  assert.equal(got, 'over tls')
  // The management API says it is TLS, with Erlang's names for the suite (TLS 1.3: key exchange "any").
  const res = await fetch(new URL('api/connections', broker.httpUrl), {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
  })
  const [listed] = (await res.json()) as Record<string, unknown>[]
  assert.equal(listed?.['ssl'], true)
  assert.equal(listed?.['ssl_protocol'], 'tlsv1.3')
  assert.equal(listed?.['ssl_key_exchange'], 'any')
  assert.match(String(listed?.['ssl_cipher']), /^(aes_(128|256)_gcm|chacha20_poly1305)$/)
  assert.equal(listed?.['ssl_hash'], 'aead')
  await conn.close()
})

test('MQTT clients connect over TLS beside the AMQPS listener, with its certificate', async () => {
  assert.ok(broker.mqttsPort, 'an MQTT TLS port is reported')
  const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${broker.mqttsPort}`, {
    username: 'guest',
    password: 'guest',
    rejectUnauthorized: false,
    reconnectPeriod: 0,
  })
  const got = new Promise<string>((resolve) =>
    c.once('message', (_t, payload) => resolve(payload.toString())),
  )
  await c.subscribeAsync('tls/t', { qos: 1 })
  await c.publishAsync('tls/t', 'mqtt over tls', { qos: 1 })
  assert.equal(await got, 'mqtt over tls')
  await c.endAsync()
})

test('a TLS port without a certificate and key is a configuration error', async () => {
  await assert.rejects(
    startBroker({ amqpPort: 0, logLevel: 'silent', tlsPort: 0 }),
    /needs a certificate and a key/,
  )
})

test('ssl_options.verify = verify_peer with fail_if_no_peer_cert: only clients with a trusted certificate', async () => {
  // The self-signed certificate is its own CA: a client presenting it is trusted, one without is refused.
  const strict = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    logLevel: 'silent',
    tlsPort: 0,
    tlsCert: join(dir, 'cert.pem'),
    tlsKey: join(dir, 'key.pem'),
    tlsCa: join(dir, 'cert.pem'),
    tlsVerifyPeer: true,
    tlsFailIfNoPeerCert: true,
  })
  try {
    const url = `amqps://guest:guest@127.0.0.1:${strict.amqpsPort}/`
    await assert.rejects(amqp.connect(url, { rejectUnauthorized: false }))
    const conn = await amqp.connect(url, {
      rejectUnauthorized: false,
      cert: readFileSync(join(dir, 'cert.pem')),
      key: readFileSync(join(dir, 'key.pem')),
    })
    await conn.close()
  } finally {
    await strict.close()
  }
})
