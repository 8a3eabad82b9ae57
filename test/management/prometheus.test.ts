// The Prometheus listener (15692, here a free port): every metric the stock RabbitMQ-Overview Grafana
// dashboard queries, counters that follow real traffic (churn, confirms, dead letters), and
// /metrics/detailed with RabbitMQ's family and vhost parameters.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { amqp, useBroker } from '../helpers/broker.js'

const b = useBroker()
const dashboard = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../test/fixtures/grafana-overview-metrics.json', import.meta.url)),
    'utf8',
  ),
) as { metrics: string[]; notServed: Record<string, string> }

async function scrape(path = '/metrics'): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${b.broker.prometheusPort}${path}`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return res.text()
}

/** Samples by their full name with labels: `name{a="b"}` -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

const value = (text: string, name: string): number => {
  const v = samples(text).get(name)
  assert.ok(v !== undefined, `${name} missing`)
  return v
}

test('every metric of the RabbitMQ-Overview dashboard is served, each with # TYPE and # HELP', async () => {
  const text = await scrape()
  const typed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]))
  const helped = new Set([...text.matchAll(/^# HELP (\S+) /gm)].map((m) => m[1]))
  const missing = dashboard.metrics.filter((n) => !(n in dashboard.notServed) && !typed.has(n))
  assert.deepEqual(missing, [])
  for (const n of typed) assert.ok(helped.has(n), `${n} has no HELP`)
  for (const n of Object.keys(dashboard.notServed)) assert.ok(dashboard.metrics.includes(n), n)
})

test('the Prometheus listener is reported as RabbitMQ reports it', async () => {
  const res = await fetch(`${b.broker.httpUrl}api/overview`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
  })
  const { listeners } = (await res.json()) as { listeners: Array<{ protocol: string; port: number }> }
  assert.deepEqual(listeners.find((l) => l.protocol === 'http/prometheus')?.port, b.broker.prometheusPort)
  const other = await fetch(`http://127.0.0.1:${b.broker.prometheusPort}/api/overview`)
  assert.equal(other.status, 404, 'only the metrics are on the Prometheus port')
})

test('churn and message counters follow what clients do', async () => {
  const before = await scrape()
  const conn = await amqp.connect(b.url)
  const ch = await conn.createConfirmChannel()
  await ch.assertQueue('prom-dlx-target')
  await ch.assertQueue('prom-q', {
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'prom-dlx-target' },
  })
  await ch.assertQueue('prom-q', {
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'prom-dlx-target' },
  })
  await ch.checkQueue('prom-q') // passive: not a declaration, as in RabbitMQ
  for (let i = 0; i < 3; i++) ch.sendToQueue('prom-q', Buffer.from('x'), i === 0 ? { expiration: '0' } : {})
  ch.sendToQueue('nowhere', Buffer.from('y'))
  await ch.waitForConfirms()
  const got = await ch.get('prom-q', { noAck: false })
  assert.ok(got)
  ch.nack(got, false, false)
  await ch.checkQueue('prom-q') // a round trip: the nack has been handled
  const during = await scrape()
  const delta = (name: string): number => value(during, name) - value(before, name)
  assert.equal(delta('rabbitmq_connections_opened_total'), 1)
  assert.equal(delta('rabbitmq_channels_opened_total'), 1)
  assert.equal(delta('rabbitmq_queues_declared_total'), 3)
  assert.equal(delta('rabbitmq_queues_created_total'), 2)
  assert.equal(delta('rabbitmq_global_messages_received_total'), 4)
  assert.equal(delta('rabbitmq_global_messages_received_confirm_total'), 4)
  assert.equal(delta('rabbitmq_global_messages_routed_total'), 3)
  assert.equal(delta('rabbitmq_global_messages_unroutable_dropped_total'), 1)
  assert.equal(delta('rabbitmq_global_messages_confirmed_total'), 4)
  assert.equal(delta('rabbitmq_global_messages_delivered_get_manual_ack_total'), 1)
  assert.equal(delta('rabbitmq_global_messages_dead_lettered_rejected_total'), 1)
  assert.equal(delta('rabbitmq_global_messages_dead_lettered_expired_total'), 1)
  assert.ok(value(during, 'rabbitmq_connections') >= 1)
  assert.ok(value(during, 'rabbitmq_global_publishers') >= 1)
  await ch.deleteQueue('prom-q')
  await ch.deleteQueue('prom-dlx-target')
  await conn.close()
  const afterClose = await scrape()
  assert.equal(
    value(afterClose, 'rabbitmq_connections_closed_total') -
      value(before, 'rabbitmq_connections_closed_total'),
    1,
  )
  assert.equal(
    value(afterClose, 'rabbitmq_queues_deleted_total') - value(before, 'rabbitmq_queues_deleted_total'),
    2,
  )
  assert.ok(value(afterClose, 'rabbitmq_process_open_fds') > 0)
  assert.ok(value(afterClose, 'rabbitmq_process_resident_memory_bytes') > 1e6)
})

test('/metrics/detailed: the families asked for, per queue, limited to the vhosts asked for', async () => {
  const api = (method: string, path: string): Promise<Response> =>
    fetch(`${b.broker.httpUrl}api/${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
    })
  assert.equal((await api('PUT', 'vhosts/prom-a')).status, 201)
  const conn = await amqp.connect(b.url)
  const ch = await conn.createChannel()
  await ch.assertQueue('detailed-root')
  ch.sendToQueue('detailed-root', Buffer.from('abc'))
  await ch.checkQueue('detailed-root')
  b.broker.broker.vhosts.get('prom-a')?.declareQueue(
    {
      name: 'detailed-a',
      passive: false,
      durable: false,
      autoDelete: false,
      exclusiveOwner: undefined,
      args: {},
    },
    -1,
  )
  const both = await scrape(
    '/metrics/detailed?family=queue_coarse_metrics&family=connection_churn_metrics&family=nosuch',
  )
  assert.equal(value(both, 'rabbitmq_detailed_queue_messages_ready{vhost="/",queue="detailed-root"}'), 1)
  assert.equal(value(both, 'rabbitmq_detailed_queue_messages{vhost="prom-a",queue="detailed-a"}'), 0)
  assert.ok(value(both, 'rabbitmq_detailed_queues_created_total') >= 2)
  assert.doesNotMatch(both, /rabbitmq_detailed_queue_consumers/)
  const onlyA = await scrape('/metrics/detailed?family=queue_coarse_metrics&vhost=prom-a')
  assert.match(onlyA, /queue="detailed-a"/)
  assert.doesNotMatch(onlyA, /queue="detailed-root"/)
  const node = await scrape('/metrics/detailed?family=node_coarse_metrics&family=node_metrics')
  assert.equal(node.match(/^rabbitmq_detailed_process_open_fds /gm)?.length, 1, 'written once')
  const none = samples(await scrape('/metrics/detailed'))
  assert.deepEqual([...none.keys()].map((k) => k.replace(/\{.*/, '')).sort(), [
    'rabbitmq_build_info',
    'rabbitmq_identity_info',
  ])
  await ch.deleteQueue('detailed-root')
  await conn.close()
})
