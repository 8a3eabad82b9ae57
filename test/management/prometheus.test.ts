// The Prometheus listener (15692, here a free port): every metric the stock RabbitMQ-Overview Grafana
// dashboard queries, counters that follow real traffic (churn, confirms, dead letters, logins), the
// per-object endpoint, and /metrics/detailed with RabbitMQ's family and vhost parameters. What is served
// compared with RabbitMQ 3.10 name by name: prometheus-parity.test.ts.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { amqp, useBroker } from '../helpers/broker.js'
import {
  labelNames,
  parseExposition,
  samplesOf,
  type Scrape,
  scrape,
  valueOf,
} from '../helpers/prometheus.js'
import { M, rpc } from '../helpers/target.js'

const b = useBroker()
const dashboard = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../test/fixtures/grafana-overview-metrics.json', import.meta.url)),
    'utf8',
  ),
) as { metrics: string[]; notServed: Record<string, string>; joinLabels: string[] }

const prom = (path?: string): Promise<Scrape> => scrape(b.broker.prometheusPort, path)
const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`
const api = (method: string, path: string, auth = GUEST): Promise<Response> =>
  fetch(`${b.broker.httpUrl}api/${path}`, { method, headers: { authorization: auth } })
const AMQP = { protocol: 'amqp091' }
const DLX = (strategy: string): Record<string, string> => ({
  queue_type: 'rabbit_classic_queue',
  dead_letter_strategy: strategy,
})

test('every metric of the RabbitMQ-Overview dashboard is served, each with # TYPE and # HELP', async () => {
  const s = await prom()
  const missing = dashboard.metrics.filter((n) => !(n in dashboard.notServed) && !s.types.has(n))
  assert.deepEqual(missing, [])
  for (const n of s.types.keys()) assert.ok(s.helps.has(n), `${n} has no HELP`)
  for (const n of Object.keys(dashboard.notServed)) assert.ok(dashboard.metrics.includes(n), n)
  // The dashboards join every query with rabbitmq_identity_info on these labels.
  for (const l of dashboard.joinLabels) assert.ok(labelNames(s, 'rabbitmq_identity_info').includes(l), l)
  assert.equal(valueOf(s, 'rabbitmq_identity_info', { rabbitmq_endpoint: 'aggregated' }), 1)
  // Warren's cluster gauges are for a cluster's leader only (cluster-view.test.ts).
  assert.deepEqual(
    [...s.types.keys()].filter((n) => n.startsWith('warren_')),
    [],
  )
})

test('the Prometheus listener is reported as RabbitMQ reports it, and serves only metrics', async () => {
  const res = await api('GET', 'overview')
  const { listeners, contexts } = (await res.json()) as {
    listeners: Array<{ protocol: string; port: number }>
    contexts: Array<Record<string, string>>
  }
  assert.deepEqual(listeners.find((l) => l.protocol === 'http/prometheus')?.port, b.broker.prometheusPort)
  const context = contexts.find((c) => c['description'] === 'RabbitMQ Prometheus')
  assert.deepEqual(
    [context?.['port'], context?.['protocol']],
    [String(b.broker.prometheusPort), "'http/prometheus'"],
  )
  const other = await fetch(`http://127.0.0.1:${b.broker.prometheusPort}/api/overview`)
  assert.equal(other.status, 404, 'only the metrics are on the Prometheus port')
})

test('churn, message, dead-letter and login counters follow what clients do', async () => {
  const before = await prom()
  const conn = await amqp.connect(b.url)
  const ch = await conn.createConfirmChannel()
  const dl = { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'prom-dlx-target' }
  await ch.assertQueue('prom-dlx-target')
  await ch.assertQueue('prom-q', { arguments: dl })
  await ch.assertQueue('prom-q', { arguments: dl })
  await ch.checkQueue('prom-q') // passive: not a declaration, as in RabbitMQ
  await ch.assertQueue('prom-no-dlx', { arguments: { 'x-message-ttl': 0 } })
  for (let i = 0; i < 3; i++) ch.sendToQueue('prom-q', Buffer.from('x'), i === 0 ? { expiration: '0' } : {})
  ch.sendToQueue('nowhere', Buffer.from('y'))
  ch.sendToQueue('prom-no-dlx', Buffer.from('expires, no dead-letter exchange'))
  await ch.waitForConfirms()
  const got = await ch.get('prom-q', { noAck: false })
  assert.ok(got)
  ch.nack(got, false, false)
  await (await conn.createChannel()).close()
  await amqp.connect(b.url.replace('guest:guest', 'guest:wrong')).catch(() => undefined)
  await api('GET', 'whoami', `Basic ${Buffer.from('guest:wrong').toString('base64')}`)
  await ch.checkQueue('prom-q') // a round trip: the nack has been handled
  const during = await prom()
  // A counter with labels appears with its first event (logins by protocol): absent counts as 0.
  const total = (s: Scrape, name: string, labels: Record<string, string>): number =>
    samplesOf(s, name, labels).reduce((sum, x) => sum + x.value, 0)
  const delta = (name: string, labels: Record<string, string> = {}): number =>
    valueOf(during, name, labels) - total(before, name, labels)
  assert.equal(delta('rabbitmq_connections_opened_total'), 1)
  assert.equal(delta('rabbitmq_connections_closed_total'), 1, 'the refused login, as RabbitMQ counts it')
  assert.equal(delta('rabbitmq_channels_opened_total'), 2)
  assert.equal(delta('rabbitmq_channels_closed_total'), 1)
  assert.equal(delta('rabbitmq_queues_declared_total'), 4)
  assert.equal(delta('rabbitmq_queues_created_total'), 3)
  assert.equal(delta('rabbitmq_global_messages_received_total', AMQP), 5)
  assert.equal(delta('rabbitmq_global_messages_received_confirm_total', AMQP), 5)
  assert.equal(delta('rabbitmq_global_messages_routed_total', AMQP), 4)
  assert.equal(delta('rabbitmq_global_messages_unroutable_dropped_total', AMQP), 1)
  assert.equal(delta('rabbitmq_global_messages_confirmed_total', AMQP), 5)
  assert.equal(delta('rabbitmq_global_messages_delivered_get_manual_ack_total', AMQP), 1)
  assert.equal(delta('rabbitmq_global_messages_dead_lettered_rejected_total', DLX('at_most_once')), 1)
  assert.equal(delta('rabbitmq_global_messages_dead_lettered_expired_total', DLX('at_most_once')), 1)
  assert.equal(delta('rabbitmq_global_messages_dead_lettered_expired_total', DLX('disabled')), 1)
  assert.equal(delta('rabbitmq_auth_attempts_failed_total', AMQP), 1)
  assert.equal(delta('rabbitmq_auth_attempts_succeeded_total', AMQP), 1)
  assert.equal(delta('rabbitmq_auth_attempts_failed_total', { protocol: 'http' }), 1)
  assert.ok(valueOf(during, 'rabbitmq_global_publishers', AMQP) >= 1)
  for (const q of ['prom-q', 'prom-dlx-target', 'prom-no-dlx']) await ch.deleteQueue(q)
  await conn.close()
  const after = await prom()
  const since = (name: string): number => valueOf(after, name) - valueOf(before, name)
  assert.equal(since('rabbitmq_connections_closed_total'), 2)
  assert.equal(since('rabbitmq_channels_closed_total'), 2)
  assert.equal(since('rabbitmq_queues_deleted_total'), 3)
  assert.ok(valueOf(after, 'rabbitmq_process_open_fds') > 0)
  assert.ok(valueOf(after, 'rabbitmq_process_resident_memory_bytes') > 1e6)
})

test('/metrics/per-object: a sample per queue, channel and connection; /metrics adds them up', async () => {
  const conn = await amqp.connect(b.url)
  const ch = await conn.createChannel()
  await ch.prefetch(7)
  const { queue } = await ch.assertQueue('', { exclusive: true })
  ch.sendToQueue(queue, Buffer.from('abc'))
  ch.sendToQueue(queue, Buffer.from('defg'))
  await ch.consume(queue, () => undefined) // manual ack: both stay unacked
  await ch.checkQueue(queue)
  const per = await prom('/metrics/per-object')
  const q = { vhost: '/', queue }
  assert.equal(valueOf(per, 'rabbitmq_queue_messages_unacked', q), 2)
  assert.equal(valueOf(per, 'rabbitmq_queue_messages_unacked_bytes', q), 7)
  assert.equal(valueOf(per, 'rabbitmq_queue_consumers', q), 1)
  const chan = samplesOf(per, 'rabbitmq_channel_consumers').find((s) => s.value === 1)
  assert.ok(chan, 'a channel_consumers sample for the consuming channel')
  const label = { channel: chan.labels['channel'] as string }
  assert.equal(valueOf(per, 'rabbitmq_channel_messages_unacked', label), 2)
  assert.equal(valueOf(per, 'rabbitmq_consumer_prefetch', label), 7)
  assert.equal(valueOf(per, 'rabbitmq_channel_messages_published_total', { ...label, vhost: '/' }), 2)
  // RabbitMQ labels connections `channel` too; here with the connection's name.
  const connName = label.channel.replace(/ \(\d+\)$/, '')
  assert.equal(valueOf(per, 'rabbitmq_connection_channels', { channel: connName }), 1)
  assert.ok(valueOf(per, 'rabbitmq_global_messages_received_total', AMQP) >= 2)
  const agg = await prom()
  assert.deepEqual(labelNames(agg, 'rabbitmq_queue_messages_unacked'), [], 'summed, not labelled')
  assert.ok(valueOf(agg, 'rabbitmq_queue_messages_unacked') >= 2)
  await conn.close()
})

test('channel gauges: unconfirmed publishes, and what an open transaction holds', async () => {
  const conn = await amqp.connect(b.url)
  const ch = await conn.createChannel()
  const { queue } = await ch.assertQueue('', { exclusive: true })
  ch.sendToQueue(queue, Buffer.from('to ack in a transaction'))
  const got = await ch.get(queue)
  assert.ok(got)
  await rpc(ch, M.txSelect, {}, M.txSelectOk)
  ch.sendToQueue(queue, Buffer.from('held'))
  ch.ack(got)
  await ch.checkQueue(queue)
  const per = await prom('/metrics/per-object')
  const held = samplesOf(per, 'rabbitmq_channel_messages_uncommitted').find((s) => s.value === 1)
  assert.ok(held, 'one publish held by the transaction')
  assert.equal(valueOf(per, 'rabbitmq_channel_acks_uncommitted', held.labels), 1)
  const res = await api('GET', `channels/${encodeURIComponent(held.labels['channel'] ?? '')}`)
  const body = (await res.json()) as Record<string, unknown>
  assert.equal(body['messages_uncommitted'], 1)
  assert.equal(body['acks_uncommitted'], 1)
  await conn.close()
})

test('/metrics/detailed: the families asked for, per object, the queue ones limited to vhosts', async () => {
  assert.equal((await api('PUT', 'vhosts/prom-a')).status, 201)
  const conn = await amqp.connect(b.url)
  const ch = await conn.createChannel()
  await ch.assertQueue('detailed-root')
  await ch.assertExchange('detailed-x', 'fanout')
  await ch.bindQueue('detailed-root', 'detailed-x', '')
  ch.sendToQueue('detailed-root', Buffer.from('abc'))
  await ch.checkQueue('detailed-root')
  const a = await amqp.connect(b.url.replace(/\/$/, '/prom-a'))
  await (await a.createChannel()).assertQueue('detailed-a')
  const both = await prom(
    '/metrics/detailed?family=queue_coarse_metrics&family=connection_churn_metrics&family=nosuch',
  )
  assert.equal(
    valueOf(both, 'rabbitmq_detailed_queue_messages_ready', { vhost: '/', queue: 'detailed-root' }),
    1,
  )
  assert.equal(valueOf(both, 'rabbitmq_detailed_queue_messages', { vhost: 'prom-a', queue: 'detailed-a' }), 0)
  assert.ok(valueOf(both, 'rabbitmq_detailed_queues_created_total') >= 2)
  assert.ok(!both.types.has('rabbitmq_detailed_queue_consumers'))
  assert.equal(valueOf(both, 'rabbitmq_identity_info', { rabbitmq_endpoint: 'detailed' }), 1)
  const onlyA = await prom('/metrics/detailed?family=queue_metrics&family=queue_consumer_count&vhost=prom-a')
  assert.deepEqual(
    samplesOf(onlyA, 'rabbitmq_detailed_queue_consumers').map((s) => s.labels['queue']),
    ['detailed-a'],
    'queue_metrics covers queue_consumer_count: each queue once',
  )
  const cluster = await prom('/metrics/detailed?family=vhost_status&family=exchange_bindings&vhost=prom-a')
  assert.equal(valueOf(cluster, 'rabbitmq_cluster_vhost_status', { vhost: '/' }), 1, 'not limited by vhost')
  const x = { vhost: '/', exchange: 'detailed-x', type: 'fanout' }
  assert.equal(valueOf(cluster, 'rabbitmq_cluster_exchange_bindings', x), 1)
  assert.deepEqual(samplesOf(cluster, 'rabbitmq_cluster_exchange_bindings', { exchange: '' }), [])
  const node = await prom('/metrics/detailed?family=node_coarse_metrics')
  assert.ok(node.types.has('rabbitmq_detailed_process_open_fds'))
  assert.ok(!node.types.has('rabbitmq_detailed_process_max_fds'), 'that is node_metrics')
  const none = await prom('/metrics/detailed')
  assert.deepEqual([...new Set(none.samples.map((s) => s.name))].sort(), [
    'rabbitmq_build_info',
    'rabbitmq_identity_info',
  ])
  await ch.deleteQueue('detailed-root')
  await ch.deleteExchange('detailed-x')
  await a.close()
  await conn.close()
  assert.equal((await api('DELETE', 'vhosts/prom-a')).status, 204)
})

test('a scraper that accepts gzip gets the metrics compressed, as from RabbitMQ', async () => {
  const res = await fetch(`http://127.0.0.1:${b.broker.prometheusPort}/metrics`, {
    headers: { 'accept-encoding': 'gzip' },
  })
  assert.equal(res.headers.get('content-encoding'), 'gzip')
  // fetch decodes gzip itself; the body is the text format either way.
  assert.ok(parseExposition(await res.text()).types.has('rabbitmq_connections'))
})
