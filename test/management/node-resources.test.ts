// Warren issue 10, item 6: /api/nodes reports the limits the broker was started with (not RabbitMQ's
// defaults), free space of the data directory's file system (not of the working directory) and the alarms
// as they are; the alarm health checks fail while one is set, with RabbitMQ's body.
import assert from 'node:assert/strict'
import { mkdtemp, rm, statfs } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type RunningBroker, startBroker } from '../../src/index.js'

let broker: RunningBroker
let dataDir: string

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'warren-node-resources-'))
  broker = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    logLevel: 'silent',
    dataDir,
    memoryHighWatermark: 1_234_567_890,
    diskFreeLimit: 7_654_321,
  })
})
after(async () => {
  await broker.close()
  await rm(dataDir, { recursive: true, force: true })
})

async function get(path: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(new URL(path.slice(1), broker.httpUrl), {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
  })
  return { status: r.status, json: (await r.json()) as Record<string, unknown> }
}

const node = async (): Promise<Record<string, unknown>> =>
  ((await get('/api/nodes')).json as unknown as Array<Record<string, unknown>>)[0] ?? {}

test('/api/nodes gives the configured limits and the data directory free space', async () => {
  const n = await node()
  assert.equal(n['mem_limit'], 1_234_567_890)
  assert.equal(n['disk_free_limit'], 7_654_321)
  const s = await statfs(dataDir)
  const free = s.bavail * s.bsize
  // The same file system: the figures agree up to what was written in between.
  assert.ok(
    Math.abs((n['disk_free'] as number) - free) < 64 * 2 ** 20,
    `${String(n['disk_free'])} vs ${free}`,
  )
  assert.equal(typeof n['mem_used'], 'number')
  assert.deepEqual([n['mem_alarm'], n['disk_free_alarm']], [false, false])
})

test('alarms show in /api/nodes and fail the alarm health checks with RabbitMQ body', async () => {
  assert.deepEqual(await get('/api/health/checks/alarms'), { status: 200, json: { status: 'ok' } })
  broker.broker.setAlarm('disk', true)
  try {
    assert.equal((await node())['disk_free_alarm'], true)
    assert.deepEqual(await get('/api/health/checks/alarms'), {
      status: 503,
      json: {
        alarms: [{ node: (await node())['name'], resource: 'disk' }],
        reason: 'There are alarms in effect in the cluster',
        status: 'failed',
      },
    })
    const local = await get('/api/health/checks/local-alarms')
    assert.equal(local.status, 503)
    assert.equal(local.json['reason'], 'There are alarms in effect on the node')
  } finally {
    broker.broker.setAlarm('disk', false)
  }
  assert.equal((await get('/api/health/checks/local-alarms')).status, 200)
})
