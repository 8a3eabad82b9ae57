// STOMP's settings: RabbitMQ's stomp.* keys in warren.conf (the ones Warren serves, and the others
// refused with the reason), WARREN_STOMP_PORT, and the default port; the Web MQTT and Web STOMP ports.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { DEFAULTS, readConfFile, resolveConfig, settingsFromEnv } from '../../src/config/index.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-stomp-conf-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function confFile(text: string): string {
  const path = join(dir, `${Math.random()}.conf`)
  writeFileSync(path, text)
  return path
}

test('stomp.listeners.tcp.default and stomp.default_vhost set the STOMP port and vhost; others are refused', async () => {
  assert.equal(DEFAULTS.stompPort, 61613)
  const layer = await readConfFile(
    confFile('stomp.listeners.tcp.default = 61000\nstomp.default_vhost = v1\n'),
  )
  assert.equal(layer.values.stompPort, 61000)
  assert.equal(layer.values.stompVhost, 'v1')
  await assert.rejects(
    readConfFile(confFile('stomp.listeners.ssl.2 = 61615\n')),
    /:1: stomp\.listeners\.ssl\.2 is not supported: Warren has one STOMP listener and one STOMP TLS listener: use stomp\.listeners\.tcp\.default and stomp\.listeners\.ssl\.1/,
  )
  await assert.rejects(
    readConfFile(confFile('stomp.implicit_connect = true\n')),
    /STOMP setting is not available/,
  )
})

test('stomp.listeners.ssl.1 (as in RabbitMQ docs) and .ssl.default set the STOMP TLS port, which needs the AMQPS certificate', async () => {
  assert.equal(DEFAULTS.stompTlsPort, undefined)
  const one = await readConfFile(confFile('stomp.listeners.ssl.1 = 61614\n'))
  assert.equal(one.values.stompTlsPort, 61614)
  const named = await readConfFile(confFile('stomp.listeners.ssl.default = 0.0.0.0:61624\n'))
  assert.equal(named.values.stompTlsPort, 61624)
  assert.throws(
    () => resolveConfig({ stompTlsPort: 61614 }),
    /a STOMP TLS port needs a certificate and a key/,
  )
  const cfg = resolveConfig({ stompTlsPort: 61614, tlsCert: 'c.pem', tlsKey: 'k.pem' })
  assert.equal(cfg.stompTlsPort, 61614)
})

test('web_mqtt.tcp.port and web_stomp.tcp.port set the WebSocket ports (RabbitMQ 15675 and 15674), .ssl.port the wss:// ones', async () => {
  assert.equal(DEFAULTS.webMqttPort, 15675)
  assert.equal(DEFAULTS.webStompPort, 15674)
  const layer = await readConfFile(
    confFile(
      'web_mqtt.tcp.port = 15000\nweb_stomp.tcp.port = 0\nweb_mqtt.ssl.port = 15001\nweb_stomp.ssl.port = 15002\n',
    ),
  )
  assert.equal(layer.values.webMqttPort, 15000)
  assert.equal(layer.values.webStompPort, 0)
  assert.deepEqual([layer.values.webMqttTlsPort, layer.values.webStompTlsPort], [15001, 15002])
  await assert.rejects(readConfFile(confFile('web_mqtt.tcp.port = x\n')), /port/)
  await assert.rejects(
    readConfFile(confFile('web_stomp.ws_frame = binary\n')),
    /Warren takes web_mqtt.tcp.port/,
  )
  // A wss:// listener needs the certificate and key.
  assert.throws(() => resolveConfig({ webStompTlsPort: 15673 }), /needs a certificate and a key/)
})

test('WARREN_STOMP_PORT sets the STOMP port; WARREN_WEB_MQTT_PORT and WARREN_WEB_STOMP_PORT the WebSocket ones', () => {
  assert.equal(settingsFromEnv({ WARREN_STOMP_PORT: '0' }).values.stompPort, 0)
  const env = settingsFromEnv({ WARREN_WEB_MQTT_PORT: '15001', WARREN_WEB_STOMP_PORT: '0' }).values
  assert.deepEqual([env.webMqttPort, env.webStompPort], [15001, 0])
})
