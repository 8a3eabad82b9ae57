// The Stream listener's settings: rabbitmq.conf's stream.* keys, WARREN_STREAM_PORT, and port 0 for none.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { DEFAULTS, readConfFile, settingsFromEnv } from '../../src/config/index.js'
import { startBroker } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-stream-conf-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('stream config: default 5552; stream.listeners.tcp.1, advertised host and port; WARREN_STREAM_PORT', async () => {
  assert.equal(DEFAULTS.streamPort, 5552)
  const file = join(dir, 'warren.conf')
  writeFileSync(
    file,
    'stream.listeners.tcp.1 = 5553\nstream.advertised_host = stream.example\nstream.advertised_port = 6000\n',
  )
  const layer = await readConfFile(file)
  assert.equal(layer.values.streamPort, 5553)
  assert.equal(layer.values.streamAdvertisedHost, 'stream.example')
  assert.equal(layer.values.streamAdvertisedPort, 6000)
  assert.equal(settingsFromEnv({ WARREN_STREAM_PORT: '7000' }).values.streamPort, 7000)
  writeFileSync(file, 'stream.frame_max = 10\n')
  await assert.rejects(readConfFile(file), /stream\.frame_max is not supported/)
})

test('stream config: port 0 turns the listener off; an embedded broker on a free AMQP port gets a free one', async () => {
  const off = await startBroker({ amqpPort: 0, streamPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
  const on = await startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
  try {
    assert.equal(off.streamPort, undefined)
    assert.ok(on.streamPort !== undefined && on.streamPort > 0 && on.streamPort !== 5552)
  } finally {
    await off.close()
    await on.close()
  }
})
