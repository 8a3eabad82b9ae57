// Warren's Prometheus endpoints compared with RabbitMQ 3.10.8's, name by name: what a 3.10.8 node with
// rabbitmq_prometheus serves (test/fixtures/rabbitmq-3.10-prometheus.json, captured from one) is what
// Warren serves, with the same # TYPE and # HELP, the same labels on each object's samples and the same
// names for each /metrics/detailed family, except for what has no meaning in Warren or is not counted
// yet, listed here with the reason.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { amqp, useBroker } from '../helpers/broker.js'
import { labelNames, type Scrape, scrape } from '../helpers/prometheus.js'

interface Reference {
  metrics: Record<string, [type: string, help: string]>
  labels: Record<string, string[]>
  endpoints: Record<'/metrics' | '/metrics/per-object', string[]>
  detailed: Record<string, string[]>
}

const ref = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../test/fixtures/rabbitmq-3.10-prometheus.json', import.meta.url)),
    'utf8',
  ),
) as Reference

const ERLANG = 'an Erlang runtime figure: Node.js has no equivalent'
const RAFT = 'quorum queues (Raft) are not implemented'
const NOT_COUNTED = 'not counted by Warren yet'

/** RabbitMQ's metrics Warren does not serve, by name without the rabbitmq_ / rabbitmq_detailed_ prefix. */
const NOT_SERVED: Readonly<Record<string, string>> = {
  erlang_processes_used: ERLANG,
  erlang_processes_limit: ERLANG,
  erlang_gc_runs_total: ERLANG,
  erlang_gc_reclaimed_bytes_total: ERLANG,
  erlang_scheduler_context_switches_total: ERLANG,
  erlang_scheduler_run_queue: ERLANG,
  erlang_net_ticktime_seconds: 'Erlang distribution heartbeats: Warren is a single node',
  queue_process_reductions_total: ERLANG,
  channel_process_reductions_total: ERLANG,
  connection_process_reductions_total: ERLANG,
  queue_process_memory_bytes: 'the memory of the Erlang process of a queue',
  schema_db_ram_tx_total: 'Mnesia transactions: definitions are a file here',
  schema_db_disk_tx_total: 'Mnesia transactions: definitions are a file here',
  msg_store_read_total: "RabbitMQ's message store: Warren's segment store works otherwise",
  msg_store_write_total: "RabbitMQ's message store: Warren's segment store works otherwise",
  queue_index_read_ops_total: "RabbitMQ's queue index: Warren's segment store has none",
  queue_index_write_ops_total: "RabbitMQ's queue index: Warren's segment store has none",
  io_read_ops_total: NOT_COUNTED,
  io_read_bytes_total: NOT_COUNTED,
  io_write_ops_total: NOT_COUNTED,
  io_write_bytes_total: NOT_COUNTED,
  io_sync_ops_total: NOT_COUNTED,
  io_seek_ops_total: NOT_COUNTED,
  io_reopen_ops_total: NOT_COUNTED,
  io_read_time_seconds_total: NOT_COUNTED,
  io_write_time_seconds_total: NOT_COUNTED,
  io_sync_time_seconds_total: NOT_COUNTED,
  io_seek_time_seconds_total: NOT_COUNTED,
  raft_term_total: RAFT,
  raft_log_snapshot_index: RAFT,
  raft_log_last_applied_index: RAFT,
  raft_log_commit_index: RAFT,
  raft_log_last_written_index: RAFT,
  raft_entry_commit_latency_seconds: RAFT,
  global_messages_dead_lettered_confirmed_total: `at-least-once dead-lettering: ${RAFT}`,
  queue_messages_persistent: `persistent messages per queue: ${NOT_COUNTED}`,
  queue_messages_persistent_bytes: `persistent messages per queue: ${NOT_COUNTED}`,
  queue_head_message_timestamp: 'the head message timestamp is not kept per queue',
  queue_disk_reads_total: `disk reads per queue: ${NOT_COUNTED}`,
  queue_disk_writes_total: `disk writes per queue: ${NOT_COUNTED}`,
  connection_incoming_packets_total: 'Warren counts bytes, not socket reads',
  connection_outgoing_packets_total: 'Warren counts bytes, not socket writes',
  connection_pending_packets: 'Warren counts bytes, not packets',
}

const PER_EXCHANGE = 'counted per channel, not per channel and exchange (a lookup per message)'
const PER_QUEUE = 'counted per channel, not per channel and queue (a lookup per message)'
/** Labels of RabbitMQ's per-object samples that Warren's lack, and labels Warren adds. */
const LABELS: Readonly<Record<string, { fewer?: string[]; more?: string[]; why: string }>> = {
  channel_messages_published_total: { fewer: ['exchange'], why: PER_EXCHANGE },
  channel_messages_confirmed_total: { fewer: ['exchange'], why: PER_EXCHANGE },
  channel_messages_unroutable_returned_total: { fewer: ['exchange'], why: PER_EXCHANGE },
  channel_messages_unroutable_dropped_total: { fewer: ['exchange'], why: PER_EXCHANGE },
  channel_get_ack_total: { fewer: ['queue'], why: PER_QUEUE },
  channel_get_total: { fewer: ['queue'], why: PER_QUEUE },
  channel_messages_delivered_ack_total: { fewer: ['queue'], why: PER_QUEUE },
  channel_messages_delivered_total: { fewer: ['queue'], why: PER_QUEUE },
  channel_messages_redelivered_total: { fewer: ['queue'], why: PER_QUEUE },
  channel_messages_acked_total: { fewer: ['queue'], why: PER_QUEUE },
  channel_get_empty_total: { fewer: ['queue'], why: PER_QUEUE },
  queue_messages_published_total: {
    fewer: ['channel', 'exchange', 'exchange_vhost'],
    why: 'counted per queue, not per channel, queue and exchange (a lookup per message)',
  },
  build_info: {
    fewer: ['erlang_version', 'prometheus_client_version'],
    more: ['product_name', 'product_version'],
    why: 'no Erlang and no Prometheus client library; the product labels of later releases say Warren',
  },
  identity_info: {
    fewer: ['rabbitmq_cluster_permanent_id'],
    more: ['rabbitmq_endpoint'],
    why: "no persistent cluster id; later releases' endpoint label, which their Overview dashboard selects on",
  },
}

const b = useBroker()

const base = (name: string): string => name.replace(/^rabbitmq_(detailed_|cluster_)?/, '')
const expected = (names: readonly string[]): string[] => names.filter((n) => !(base(n) in NOT_SERVED)).sort()
/**
 * RabbitMQ serves these only with its stream plugin enabled (the fixture was captured without it); their
 * names and help texts were checked against a node with rabbitmq_stream (prometheus-stream.test.ts).
 */
const STREAM_PLUGIN = /^rabbitmq_global_stream_error_[a-z_]+_total$/
const served = (s: Scrape): string[] =>
  [...s.types.keys()].filter((n) => n.startsWith('rabbitmq_') && !STREAM_PLUGIN.test(n)).sort()

let taken: Promise<Record<'/metrics' | '/metrics/per-object', Scrape>> | undefined

/** Both endpoints' output with traffic going on: a queue, a channel and a connection to show. */
function scrapes(): Promise<Record<'/metrics' | '/metrics/per-object', Scrape>> {
  return (taken ??= (async () => {
    const conn = await amqp.connect(b.url)
    const ch = await conn.createConfirmChannel()
    const { queue } = await ch.assertQueue('', { exclusive: true })
    ch.sendToQueue(queue, Buffer.from('x'))
    await ch.waitForConfirms()
    await ch.consume(queue, () => undefined, { noAck: true })
    const port = b.broker.prometheusPort
    const both = {
      '/metrics': await scrape(port),
      '/metrics/per-object': await scrape(port, '/metrics/per-object'),
    }
    await conn.close()
    return both
  })())
}

for (const endpoint of ['/metrics', '/metrics/per-object'] as const) {
  test(`${endpoint}: RabbitMQ 3.10's names, # TYPE and # HELP, less what has no meaning here`, async () => {
    const s = (await scrapes())[endpoint]
    assert.deepEqual(served(s), expected(ref.endpoints[endpoint]))
    for (const n of served(s)) {
      const [type, help] = ref.metrics[n] ?? []
      assert.deepEqual([n, s.types.get(n), s.helps.get(n)], [n, type, help])
    }
  })
}

test("/metrics/per-object: each object's labels are RabbitMQ's, but for the pairs Warren does not count", async () => {
  const s = (await scrapes())['/metrics/per-object']
  for (const [name, labels] of Object.entries(ref.labels)) {
    if (base(name) in NOT_SERVED) continue
    const d = LABELS[base(name)]
    const want = [...labels.filter((l) => !d?.fewer?.includes(l)), ...(d?.more ?? [])].sort()
    assert.deepEqual([name, labelNames(s, name)], [name, want])
  }
})

test("/metrics/detailed: each of RabbitMQ 3.10's families serves its names", async () => {
  for (const [family, names] of Object.entries(ref.detailed)) {
    const s = await scrape(b.broker.prometheusPort, `/metrics/detailed?family=${family}`)
    const got = served(s).filter((n) => !/^rabbitmq_(build|identity)_info$/.test(n))
    assert.deepEqual([family, got], [family, expected(names)])
    for (const n of got) {
      const [type, help] = ref.metrics[n] ?? ref.metrics[`rabbitmq_${base(n)}`] ?? []
      assert.deepEqual([n, s.types.get(n), s.helps.get(n)], [n, type, help])
    }
  }
})

test('every exclusion names a metric RabbitMQ 3.10 serves, with a reason', () => {
  const all = new Set(Object.keys(ref.metrics).map(base))
  for (const n of [...Object.keys(NOT_SERVED), ...Object.keys(LABELS)]) assert.ok(all.has(n), n)
})
