// Heartbeats as negotiated: the server sends one when it has been quiet for half the interval, and
// closes a connection whose client has been silent for two intervals (RabbitMQ's rule).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { RawClient } from '../helpers/raw-client.js'
import { useBroker } from '../helpers/broker.js'

const ctx = useBroker()
const clients: RawClient[] = []
after(() => clients.forEach((c) => c.destroy()))

test('with heartbeat=1 the server sends heartbeat frames on channel 0', async () => {
  const c = await RawClient.openUrl(ctx.url, { heartbeat: 1 }, [])
  clients.push(c)
  const hb = await c.next((f) => f.type === 8, 3000)
  assert.ok(hb, 'a heartbeat frame arrived')
  assert.equal(hb.channel, 0)
})

test('a client silent for two heartbeat intervals is disconnected', async () => {
  const c = await RawClient.openUrl(ctx.url, { heartbeat: 1 }, [])
  clients.push(c)
  const started = Date.now()
  assert.equal(await c.endsWithin(6000), true, 'the server closed the silent connection')
  const took = Date.now() - started
  assert.ok(took >= 1500, `closed after ${took} ms, not before two intervals`)
})

test('with heartbeat=0 (disabled) a silent client stays connected', async () => {
  const c = await RawClient.openUrl(ctx.url, { heartbeat: 0 }, [])
  clients.push(c)
  assert.equal(await c.endsWithin(2500), false)
})
