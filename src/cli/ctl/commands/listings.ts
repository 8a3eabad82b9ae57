// list_queues, list_exchanges, list_bindings, list_connections, list_channels, list_consumers.
// Warren has no Erlang pids: the pid columns show the connection's or channel's name instead, which is
// also what close_connection takes, so `list_connections pid` still feeds `close_connection`.
import type { Ctx, CtlCommand } from '../context.js'
import { seg } from '../http.js'
import { type ColumnSpec, type Item, listing, nested } from '../listing.js'

const plain: ColumnSpec = {}
const table: ColumnSpec = { kind: 'table' }
const byName = (names: string, overrides: Record<string, ColumnSpec> = {}): Record<string, ColumnSpec> =>
  Object.fromEntries(names.split(' ').map((n) => [n, overrides[n] ?? plain]))
const name = (item: Item): unknown => item['name']
const vhostPath = (resource: string) => (c: Ctx) => `/api/${resource}/${seg(c.vhost)}`

const QUEUE_COLUMNS = byName(
  'arguments auto_delete consumer_capacity consumer_utilisation consumers disk_reads disk_writes durable ' +
    'exclusive exclusive_consumer_pid exclusive_consumer_tag head_message_timestamp leader members memory ' +
    'message_bytes message_bytes_persistent message_bytes_ram message_bytes_ready ' +
    'message_bytes_unacknowledged messages messages_delayed messages_persistent messages_ram messages_ready ' +
    'messages_ready_ram messages_unacknowledged messages_unacknowledged_ram name online owner_pid pid ' +
    'policy slave_pids state synchronised_slave_pids type',
  { arguments: table, owner_pid: { get: nested('owner_pid_details', 'name') } },
)

const CONNECTION_COLUMNS = byName(
  'auth_mechanism channel_max channels client_properties connected_at frame_max host name ' +
    'peer_cert_issuer peer_cert_subject peer_cert_validity peer_host peer_port pid port protocol ' +
    'recv_cnt recv_oct send_cnt send_oct send_pend ssl ssl_cipher ssl_hash ssl_key_exchange ssl_protocol ' +
    'state timeout user vhost',
  { client_properties: table, pid: { get: name }, protocol: { kind: 'protocol' } },
)

const CHANNEL_COLUMNS = byName(
  'acks_uncommitted confirm connection consumer_count global_prefetch_count messages_unacknowledged ' +
    'messages_uncommitted messages_unconfirmed name number pid prefetch_count transactional user vhost',
  { connection: { get: nested('connection_details', 'name') }, pid: { get: name } },
)

const CONSUMER_COLUMNS: Record<string, ColumnSpec> = {
  queue_name: { get: nested('queue', 'name') },
  channel_pid: { get: nested('channel_details', 'name') },
  consumer_tag: plain,
  ack_required: plain,
  prefetch_count: plain,
  active: plain,
  activity_status: plain,
  arguments: table,
}

export const listingCommands: readonly CtlCommand[] = [
  listing({
    name: 'list_queues',
    summary: 'lists queues and their properties',
    banner: (c) => [
      `Timeout: ${c.timeoutSecs.toFixed(1)} seconds ...`,
      `Listing queues for vhost ${c.vhost} ...`,
    ],
    path: vhostPath('queues'),
    columns: QUEUE_COLUMNS,
    defaults: ['name', 'messages'],
    selectable: true,
    whenEmpty: 'nothing',
  }),
  listing({
    name: 'list_exchanges',
    summary: 'lists exchanges',
    banner: (c) => [`Listing exchanges for vhost ${c.vhost} ...`],
    path: vhostPath('exchanges'),
    columns: byName('arguments auto_delete durable internal name policy type', { arguments: table }),
    defaults: ['name', 'type'],
    selectable: true,
    whenEmpty: 'nothing',
  }),
  listing({
    name: 'list_bindings',
    summary: 'lists all bindings on a vhost',
    banner: (c) => [`Listing bindings for vhost ${c.vhost}...`],
    path: vhostPath('bindings'),
    columns: {
      source_name: { get: (i) => i['source'] },
      source_kind: { get: () => 'exchange' },
      destination_name: { get: (i) => i['destination'] },
      destination_kind: { get: (i) => i['destination_type'] },
      routing_key: plain,
      arguments: table,
    },
    defaults: [
      'source_name',
      'source_kind',
      'destination_name',
      'destination_kind',
      'routing_key',
      'arguments',
    ],
    selectable: true,
    whenEmpty: 'nothing',
  }),
  listing({
    name: 'list_connections',
    summary: 'lists AMQP 0-9-1 connections (the pid column shows the connection name)',
    banner: () => ['Listing connections ...'],
    path: () => '/api/connections',
    columns: CONNECTION_COLUMNS,
    defaults: ['user', 'peer_host', 'peer_port', 'state'],
    selectable: true,
    whenEmpty: 'nothing',
  }),
  listing({
    name: 'list_channels',
    summary: 'lists all channels (pid and connection show channel and connection names)',
    banner: () => ['Listing channels ...'],
    path: () => '/api/channels',
    columns: CHANNEL_COLUMNS,
    defaults: ['pid', 'user', 'consumer_count', 'messages_unacknowledged'],
    selectable: true,
    whenEmpty: 'nothing',
  }),
  listing({
    name: 'list_consumers',
    summary: 'lists all consumers for a vhost (channel_pid shows the channel name)',
    banner: (c) => [`Listing consumers in vhost ${c.vhost} ...`],
    path: vhostPath('consumers'),
    columns: CONSUMER_COLUMNS,
    defaults: [
      'queue_name',
      'channel_pid',
      'consumer_tag',
      'ack_required',
      'prefetch_count',
      'active',
      'arguments',
    ],
    selectable: true,
    whenEmpty: 'nothing',
  }),
]
