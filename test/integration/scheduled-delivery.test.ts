// Scheduled delivery on x-delayed-message (issue 14, item 2), in ActiveMQ's spirit: a repeat count and a
// period, or a cron expression, make one publish a series of deliveries; ActiveMQ's AMQ_SCHEDULED_* header
// names work too. The HTTP API lists what an exchange holds (next due first), cancels one and purges them.
// Warren's manual clock runs the schedules; the restart test shows a series going on after a restart.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import amqp from 'amqplib'
import { ManualClock, startBroker } from '../../src/index.js'
import { channelError, useBroker } from '../helpers/broker.js'

// 2026-01-01T00:00:00Z: cron expressions fire at round times.
const START = Date.UTC(2026, 0, 1)
const clock = new ManualClock(START)
const b = useBroker({ clock })
const auth = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') }

async function setup() {
  const conn = await amqp.connect(b.url)
  const ch = await conn.createConfirmChannel()
  const ex = `sched.${Math.random().toString(36).slice(2)}`
  await ch.assertExchange(ex, 'x-delayed-message', { arguments: { 'x-delayed-type': 'fanout' } })
  const { queue } = await ch.assertQueue('', { exclusive: true })
  await ch.bindQueue(queue, ex, '')
  return { conn, ch, ex, queue }
}

async function takeAll(ch: amqp.Channel, queue: string): Promise<amqp.GetMessage[]> {
  const out: amqp.GetMessage[] = []
  for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true })) out.push(m)
  return out
}

async function api(method: string, path: string): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${b.broker.httpUrl}${path.slice(1)}`, { method, headers: auth })
  const text = await r.text()
  return { status: r.status, json: text === '' ? undefined : JSON.parse(text) }
}

describe('scheduled delivery', () => {
  test('x-delay, x-schedule-repeat and x-schedule-period: repeat + 1 deliveries, a period apart', async () => {
    const { conn, ch, ex, queue } = await setup()
    const headers = { 'x-delay': 1000, 'x-schedule-repeat': 2, 'x-schedule-period': 500 }
    ch.publish(ex, '', Buffer.from('tick'), { headers, messageId: 'series' })
    await ch.waitForConfirms()
    const seen: number[] = []
    for (const step of [999, 1, 499, 1, 500, 5000]) {
      clock.advance(step)
      seen.push((await takeAll(ch, queue)).length)
    }
    assert.deepEqual(seen, [0, 1, 0, 1, 1, 0])
    await conn.close()
  })

  test("ActiveMQ's AMQ_SCHEDULED_DELAY, _PERIOD and _REPEAT headers work the same", async () => {
    const { conn, ch, ex, queue } = await setup()
    const headers = { AMQ_SCHEDULED_DELAY: 200, AMQ_SCHEDULED_PERIOD: 100, AMQ_SCHEDULED_REPEAT: 3 }
    ch.publish(ex, '', Buffer.from('amq'), { headers })
    await ch.waitForConfirms()
    clock.advance(199)
    assert.equal((await takeAll(ch, queue)).length, 0)
    clock.advance(301)
    const got = await takeAll(ch, queue)
    assert.equal(got.length, 4)
    assert.equal(got[0]?.properties.headers?.['x-schedule-remaining'], undefined) // state never leaks
    await conn.close()
  })

  test('x-schedule-cron fires at every match until cancelled; a delay runs after each firing', async () => {
    const { conn, ch, ex, queue } = await setup()
    clock.advance(60_000 - (clock.now() % 60_000)) // on a whole minute
    ch.publish(ex, '', Buffer.from('every 10 s'), {
      headers: { 'x-schedule-cron': '*/10 * * * * *', 'x-delay': 2000 },
    })
    await ch.waitForConfirms()
    clock.advance(11_999) // fires at :10, delivered at :12
    assert.equal((await takeAll(ch, queue)).length, 0)
    clock.advance(1)
    assert.equal((await takeAll(ch, queue)).length, 1)
    clock.advance(30_000) // :22, :32, :42
    assert.equal((await takeAll(ch, queue)).length, 3)
    const listed = (await api('GET', `/api/exchanges/%2F/${ex}/delayed`)).json as Array<
      Record<string, unknown>
    >
    assert.equal(listed.length, 1)
    assert.equal(listed[0]?.['cron'], '*/10 * * * * *')
    assert.equal(listed[0]?.['due_in_ms'], 10_000)
    assert.equal(
      (await api('DELETE', `/api/exchanges/%2F/${ex}/delayed/${String(listed[0]?.['id'])}`)).status,
      204,
    )
    clock.advance(60_000)
    assert.equal((await takeAll(ch, queue)).length, 0)
    await conn.close()
  })

  test('an invalid cron expression closes the channel with 406, saying why', async () => {
    const { conn, ex } = await setup()
    await conn.close()
    const err = await channelError(b.url, async (ch) => {
      ch.publish(ex, '', Buffer.from('x'), { headers: { 'x-schedule-cron': 'every tuesday' } })
      await ch.checkExchange(ex)
      await ch.checkExchange(ex)
    })
    assert.equal(err.code, 406)
    assert.match(err.message, /invalid x-schedule-cron 'every tuesday'/)
  })

  test('the API lists held messages next due first, with their schedules; purge empties the exchange', async () => {
    const { conn, ch, ex, queue } = await setup()
    ch.publish(ex, 'a', Buffer.from('later'), { headers: { 'x-delay': 9000 }, messageId: 'm-later' })
    ch.publish(ex, 'b', Buffer.from('sooner'), {
      headers: { 'x-delay': 3000, 'x-schedule-repeat': 1, 'x-schedule-period': 1000 },
      messageId: 'm-sooner',
    })
    await ch.waitForConfirms()
    const view = (await api('GET', `/api/exchanges/%2F/${ex}`)).json as Record<string, unknown>
    assert.equal(view['messages_delayed'], 2)
    assert.equal(view['next_delayed_delivery'], new Date(clock.now() + 3000).toISOString())
    const listed = (await api('GET', `/api/exchanges/%2F/${ex}/delayed?limit=10`)).json as Array<
      Record<string, unknown>
    >
    assert.deepEqual(
      listed.map((m) => [m['routing_key'], m['payload'], m['due_in_ms'], m['repeat'], m['remaining']]),
      [
        ['b', 'sooner', 3000, 1, 1],
        ['a', 'later', 9000, 0, 0],
      ],
    )
    assert.equal((listed[0]?.['properties'] as Record<string, unknown>)['message_id'], 'm-sooner')
    assert.equal((await api('GET', `/api/exchanges/%2F/${ex}/delayed?limit=1`)).json instanceof Array, true)
    assert.equal(((await api('GET', `/api/exchanges/%2F/${ex}/delayed?limit=1`)).json as unknown[]).length, 1)
    assert.equal((await api('DELETE', `/api/exchanges/%2F/${ex}/delayed/999999`)).status, 404)
    assert.equal((await api('GET', '/api/exchanges/%2F/amq.direct/delayed')).status, 400)
    assert.equal((await api('DELETE', `/api/exchanges/%2F/${ex}/delayed`)).status, 204)
    assert.equal(
      ((await api('GET', `/api/exchanges/%2F/${ex}`)).json as Record<string, unknown>)['messages_delayed'],
      0,
    )
    clock.advance(10_000)
    assert.equal((await takeAll(ch, queue)).length, 0)
    await conn.close()
  })
})

describe('scheduled delivery across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-sched-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('a persistent series goes on after a restart with the copies it had left', async () => {
    const rc = new ManualClock(START)
    const opts = { amqpPort: 0, bind: '127.0.0.1', logLevel: 'silent' as const, dataDir: dir, clock: rc }
    let broker = await startBroker(opts)
    let conn = await amqp.connect(broker.amqpUrl)
    let ch = await conn.createConfirmChannel()
    await ch.assertExchange('series', 'x-delayed-message', {
      durable: true,
      arguments: { 'x-delayed-type': 'direct' },
    })
    await ch.assertQueue('series.q', { durable: true })
    await ch.bindQueue('series.q', 'series', 'k')
    const headers = { 'x-delay': 100, 'x-schedule-repeat': 3, 'x-schedule-period': 1000 }
    ch.publish('series', 'k', Buffer.from('s'), { persistent: true, headers })
    await ch.waitForConfirms()
    rc.advance(1100) // two delivered (at 100 and 1100), two left
    const waitFor = async (n: number) => {
      for (let i = 0; i < 100 && (await ch.checkQueue('series.q')).messageCount < n; i++)
        await new Promise((r) => setTimeout(r, 10))
      return (await ch.checkQueue('series.q')).messageCount
    }
    assert.equal(await waitFor(2), 2)
    await new Promise((r) => setTimeout(r, 50)) // the next record reaches the store
    await conn.close()
    await broker.close()

    broker = await startBroker(opts)
    try {
      conn = await amqp.connect(broker.amqpUrl)
      ch = await conn.createConfirmChannel()
      const listed = (await (
        await fetch(`${broker.httpUrl}api/exchanges/%2F/series/delayed`, { headers: auth })
      ).json()) as Array<Record<string, unknown>>
      assert.deepEqual(
        listed.map((m) => [m['due_in_ms'], m['remaining']]),
        [[1000, 1]],
      )
      rc.advance(5000)
      // A recovered copy's body may still be on its way back from the store: the series goes on from
      // there, on the clock's next turn.
      for (let i = 0; i < 100 && (await ch.checkQueue('series.q')).messageCount < 4; i++) {
        rc.advance(0)
        await new Promise((r) => setTimeout(r, 10))
      }
      assert.equal((await ch.checkQueue('series.q')).messageCount, 4)
      await new Promise((r) => setTimeout(r, 20))
      assert.equal((await ch.checkQueue('series.q')).messageCount, 4)
      await conn.close()
    } finally {
      await broker.close()
    }
  })
})
