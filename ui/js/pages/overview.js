// Overview: object counts, the queued-messages and message-rate charts (with the history the server
// keeps, for the range chosen), the node and its listeners; in a cluster, every node with its role and
// replication (docs/clustering.md) below the facts of the node that serves, the leader.
import { api } from '../api.js'
import {
  currentRange,
  depthPoints,
  lineChart,
  messageRatePoints,
  messageRatesChart,
  rangeQuery,
} from '../chart.js'
import { add, fmtBytes, fmtDuration, fmtNum, fmtRate, h, link, rateOf, replace } from '../dom.js'
import { hasTag, isAdmin, state } from '../state.js'
import { facts, section, table } from '../widgets.js'

const TOTALS = [
  ['connections', 'Connections', '#/connections'],
  ['channels', 'Channels', '#/channels'],
  ['exchanges', 'Exchanges', '#/exchanges'],
  ['queues', 'Queues', '#/queues'],
  ['consumers', 'Consumers', '#/queues'],
]

export function overviewPage(main) {
  const tiles = h('div', { class: 'tiles' })
  const depth = lineChart({
    title: 'Queued messages',
    series: [
      { key: 'ready', label: 'Ready' },
      { key: 'unacked', label: 'Unacked' },
    ],
    format: fmtNum,
    integer: true,
    onRange: () => void page.refresh(),
  })
  const rates = messageRatesChart(fmtRate, () => void page.refresh())
  const node = h('div')
  const listeners = h('div')
  const canSeeNodes = hasTag('monitoring') || isAdmin()
  add(
    main,
    h('h1', {}, 'Overview'),
    tiles,
    h('div', { class: 'charts' }, depth.el, rates.el),
    canSeeNodes ? section('Node', node) : null,
    section('Ports and contexts', listeners),
    isAdmin()
      ? section(
          'Definitions',
          h(
            'p',
            {},
            'Export or import users, vhosts, permissions, queues, exchanges and bindings: ',
            h('a', { href: '#/admin/definitions' }, 'Admin › Definitions'),
            '.',
          ),
        )
      : null,
  )
  const page = {
    title: 'Overview',
    async refresh() {
      const range = currentRange()
      const o = await api('GET', `api/overview?${rangeQuery(range)}`).catch(() => state.overview)
      if (!o) return
      renderTiles(tiles, o)
      const qt = o.queue_totals ?? {}
      const ms = o.message_stats ?? {}
      depth.update(
        depthPoints({ ready: qt.messages_ready_details, unacked: qt.messages_unacknowledged_details }),
      )
      rates.update(messageRatePoints(ms, range.incr))
      replace(listeners, listenerTable(o))
      if (canSeeNodes) replace(node, await nodeSection(o.node))
    },
  }
  return page
}

function renderTiles(tiles, o) {
  const qt = o.queue_totals ?? {}
  const ms = o.message_stats ?? {}
  const tile = (label, value, href, id) =>
    h(
      'a',
      { class: 'tile', href, dataset: { total: id } },
      h('span', { class: 'count' }, value),
      h('span', { class: 'label' }, label),
    )
  replace(
    tiles,
    TOTALS.map(([key, label, href]) => tile(label, fmtNum(o.object_totals?.[key] ?? 0), href, key)),
    tile('Ready', fmtNum(qt.messages_ready ?? 0), '#/queues', 'ready'),
    tile('Unacked', fmtNum(qt.messages_unacknowledged ?? 0), '#/queues', 'unacked'),
    tile('Publish', fmtRate(rateOf(ms, 'publish') ?? 0), '#/channels', 'publish'),
  )
}

/** The serving node's facts; in a cluster (its nodes carry a role), the table of every node too. */
async function nodeSection(self) {
  try {
    const nodes = await api('GET', 'api/nodes')
    // /api/nodes is sorted by name: in a cluster the serving node is not always the first.
    const n = nodes.find((x) => x.name === self) ?? nodes[0]
    if (!n) return 'No node information.'
    return nodes.some((x) => x.role) ? [nodeFacts(n), clusterTable(nodes, n.name)] : nodeFacts(n)
  } catch (err) {
    return h('div', { class: 'status error' }, err.message)
  }
}

function nodeFacts(n) {
  const alarm = (on, text) =>
    on ? h('span', { class: 'badge bad' }, text) : h('span', { class: 'badge good' }, 'OK')
  return facts([
    ['Name', h('a', { href: link('nodes', n.name) }, n.name)],
    ['Uptime', fmtDuration(n.uptime)],
    [
      'Memory',
      h(
        'span',
        {},
        `${fmtBytes(n.mem_used)} of ${fmtBytes(n.mem_limit)} high watermark `,
        alarm(n.mem_alarm, 'memory alarm'),
      ),
    ],
    [
      'Disk free',
      h(
        'span',
        {},
        `${fmtBytes(n.disk_free)} (limit ${fmtBytes(n.disk_free_limit)}) `,
        alarm(n.disk_free_alarm, 'disk alarm'),
      ),
    ],
    ['Connections', fmtNum(n.sockets_used)],
    ['Processors', fmtNum(n.processors)],
  ])
}

/** One row per node; only the serving node has a node page (the API knows little of the others). */
function clusterTable(nodes, self) {
  const badge = (ok, text) => h('span', { class: `badge ${ok ? 'good' : 'bad'}` }, text)
  // A node that is down has no replication link, so no lag to show (the API says 0).
  const lag = (x, n) => (x.replication_state === 'down' ? '' : fmtNum(n))
  return h(
    'div',
    { class: 'cluster-nodes' },
    h('h3', {}, 'Cluster nodes'),
    table(
      [
        {
          title: 'Node',
          value: (x) => (x.name === self ? h('a', { href: link('nodes', x.name) }, x.name) : x.name),
        },
        { title: 'Role', value: (x) => x.role },
        { title: 'State', value: (x) => badge(x.running, x.running ? 'running' : 'not running') },
        { title: 'In sync', value: (x) => badge(x.in_sync, x.in_sync ? 'in sync' : 'not in sync') },
        { title: 'Replication', value: (x) => x.replication_state },
        { title: 'Lag (operations)', value: (x) => lag(x, x.replication_lag_ops), className: 'num' },
        { title: 'Lag (ms)', value: (x) => lag(x, x.replication_lag_ms), className: 'num' },
      ],
      nodes,
    ),
  )
}

function listenerTable(o) {
  return table(
    [
      { title: 'Protocol', value: (l) => l.protocol },
      { title: 'Bound to', value: (l) => l.ip_address },
      { title: 'Port', value: (l) => String(l.port), className: 'num' },
    ],
    o.listeners ?? [],
  )
}
