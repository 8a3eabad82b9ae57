// STOMP's settings: RabbitMQ's stomp.* keys in warren.conf (the ones Warren serves, and the others
// refused with the reason), WARREN_STOMP_PORT, and the default port.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { DEFAULTS, readConfFile, settingsFromEnv } from '../../src/config/index.js'

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
  await assert.rejects(readConfFile(confFile('stomp.listeners.ssl.default = 61614\n')), /one STOMP listener/)
  await assert.rejects(
    readConfFile(confFile('stomp.implicit_connect = true\n')),
    /STOMP setting is not available/,
  )
  await assert.rejects(readConfFile(confFile('web_stomp.tcp.port = 15674\n')), /protocol is not available/)
})

test('WARREN_STOMP_PORT sets the STOMP port', () => {
  assert.equal(settingsFromEnv({ WARREN_STOMP_PORT: '0' }).values.stompPort, 0)
})
