// What the Stream protocol tracks on the server outlives a restart on the same data directory, as in
// RabbitMQ (which keeps it in the stream): stored offsets, and the publisher sequences that deduplicate
// a named publisher's resends.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import rabbit from 'rabbitmq-stream-js-client'
import { type RunningBroker, startBroker } from '../../src/index.js'
import { eventually } from '../helpers/broker.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-stream-protocol-restart-'))
after(() => rmSync(dir, { recursive: true, force: true }))

async function withBroker<T>(
  f: (b: RunningBroker, c: Awaited<ReturnType<typeof rabbit.connect>>) => Promise<T>,
): Promise<T> {
  const b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent', dataDir: dir })
  const c = await rabbit.connect({
    hostname: '127.0.0.1',
    port: b.streamPort as number,
    username: 'guest',
    password: 'guest',
    vhost: '/',
  })
  try {
    return await f(b, c)
  } finally {
    await c.close()
    await b.close()
  }
}

test('stream protocol: stored offsets and publisher sequences survive a restart; resends stay deduplicated', async () => {
  await withBroker(async (_b, c) => {
    await c.createStream({ stream: 'orders', arguments: {} })
    const pub = await c.declarePublisher({ stream: 'orders', publisherRef: 'shop' })
    const confirmed: bigint[] = []
    pub.on('publish_confirm', (_err, ids) => confirmed.push(...ids))
    for (let id = 1n; id <= 4n; id++) await pub.basicSend(id, Buffer.from(`o${id}`))
    await pub.flush()
    await eventually(() => confirmed.length === 4, 5000)
    const consumer = await c.declareConsumer(
      { stream: 'orders', offset: rabbit.Offset.first(), consumerRef: 'billing' },
      () => undefined,
    )
    await consumer.storeOffset(3n)
    await eventually(() => true)
    for (let i = 0; i < 100; i++) {
      if ((await c.queryOffset({ reference: 'billing', stream: 'orders' }).catch(() => -1n)) === 3n) break
      await new Promise((r) => setTimeout(r, 10))
    }
  })
  await withBroker(async (b, c) => {
    assert.equal(await c.queryOffset({ reference: 'billing', stream: 'orders' }), 3n)
    const pub = await c.declarePublisher({ stream: 'orders', publisherRef: 'shop' })
    assert.equal(await pub.getLastPublishingId(), 4n)
    const confirmed: bigint[] = []
    pub.on('publish_confirm', (_err, ids) => confirmed.push(...ids))
    for (let id = 3n; id <= 5n; id++) await pub.basicSend(id, Buffer.from(`o${id}`))
    await pub.flush()
    await eventually(() => confirmed.length === 3, 5000)
    await eventually(() => b.broker.vhost('/').queues.get('orders')?.messageCount === 5, 5000)
  })
})
