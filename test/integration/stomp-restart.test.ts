// What STOMP keeps across a restart, and what holds a STOMP publisher back. A receipt for a persistent
// SEND comes once the message is on disk: the messages of /queue/<name> and of a durable topic
// subscription are there after a restart. A resource alarm blocks a publisher after its next SEND.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { startBroker } from '../../src/index.js'
import { rawConnected } from '../helpers/stomp.js'

const dir = mkdtempSync(join(tmpdir(), 'warren-stomp-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const start = (): ReturnType<typeof startBroker> =>
  startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent', dataDir: dir })

test('persistent messages of a /queue and of a durable topic subscription survive a restart', async () => {
  let broker = await start()
  const durable = { id: 'keep', durable: 'true', 'auto-delete': 'false' }
  const sub = await rawConnected(broker.stompPort ?? 0)
  sub.frame('SUBSCRIBE', { ...durable, destination: '/topic/restart.t', receipt: 'subscribed' })
  await sub.next('RECEIPT')
  sub.close()
  const pub = await rawConnected(broker.stompPort ?? 0)
  pub.frame('SEND', { destination: '/queue/restart-q', persistent: 'true', receipt: 'q' }, 'in queue')
  pub.frame('SEND', { destination: '/topic/restart.t', persistent: 'true', receipt: 't' }, 'in topic')
  assert.equal((await pub.next('RECEIPT')).headers['receipt-id'], 'q')
  assert.equal((await pub.next('RECEIPT')).headers['receipt-id'], 't')
  pub.close()
  await broker.close()

  broker = await start()
  try {
    const back = await rawConnected(broker.stompPort ?? 0)
    back.frame('SUBSCRIBE', { id: 'q', destination: '/queue/restart-q' })
    back.frame('SUBSCRIBE', { ...durable, destination: '/topic/restart.t' })
    const bodies = [(await back.next('MESSAGE')).body, (await back.next('MESSAGE')).body].sort()
    assert.deepEqual(bodies, ['in queue', 'in topic'])
    back.close()
  } finally {
    await broker.close()
  }
})

test('a resource alarm blocks a STOMP publisher after its next SEND, until it clears', async () => {
  const broker = await startBroker({ amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
  try {
    const sub = await rawConnected(broker.stompPort ?? 0)
    sub.frame('SUBSCRIBE', { id: 's', destination: '/queue/alarm-q', receipt: 'ok' })
    await sub.next('RECEIPT')
    const pub = await rawConnected(broker.stompPort ?? 0)
    broker.broker.setAlarm('memory', true)
    pub.frame('SEND', { destination: '/queue/alarm-q' }, 'one')
    pub.frame('SEND', { destination: '/queue/alarm-q' }, 'two')
    assert.equal((await sub.next('MESSAGE')).body, 'one')
    await new Promise((r) => setTimeout(r, 150))
    assert.equal(sub.frames.length, 0, 'the SEND after the blocked one waits')
    broker.broker.setAlarm('memory', false)
    assert.equal((await sub.next('MESSAGE')).body, 'two')
    sub.close()
    pub.close()
  } finally {
    await broker.close()
  }
})
