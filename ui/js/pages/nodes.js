// The node page (RabbitMQ's #/nodes/<name>): uptime, resources against their limits, file descriptors
// and sockets, listeners, and memory broken down by what uses it (GET /api/nodes/<name>/memory), drawn as
// one stacked bar and a table whose parts add up to the process's resident memory.
import { api, path } from '../api.js'
import { fmtBytes, fmtDuration, fmtNum, h, replace } from '../dom.js'
import { state } from '../state.js'
import { facts, section, table } from '../widgets.js'

const PARTS = [
  ['queue_procs', 'Queued message bodies'],
  ['connection_writers', 'Connection write buffers'],
  ['store_buffers', 'Message store buffers'],
  ['binary', 'Other buffers'],
  ['js_heap', 'JavaScript objects'],
  ['code', 'Code'],
  ['allocated_unused', 'Heap reserved, unused'],
  ['other_system', 'Runtime and allocator (rest of RSS)'],
]
const COLOURS = ['#2f6fb3', '#d9822b', '#3c9a5f', '#9b59b6', '#c0392b', '#16a085', '#7f8c8d', '#bdc3c7']

export function nodePage(main, name) {
  const info = h('div')
  const memory = h('div')
  const listeners = h('div')
  main.append(
    h('h1', {}, 'Node ', h('span', { class: 'name' }, name)),
    section('Overview', info),
    section('Memory', memory),
    section('Listeners', listeners),
  )
  return {
    title: `Node ${name}`,
    async refresh() {
      const [n, m] = await Promise.all([
        api('GET', path`api/nodes/${name}`),
        api('GET', path`api/nodes/${name}/memory`),
      ])
      replace(info, nodeFacts(n))
      replace(memory, memoryView(m.memory))
      replace(listeners, listenerTable(state.overview?.listeners ?? []))
    },
  }
}

function nodeFacts(n) {
  const ofLimit = (used, limit) => `${fmtBytes(used)} of ${fmtBytes(limit)}`
  return facts([
    ['Uptime', fmtDuration(n.uptime)],
    ['Process', `pid ${n.os_pid}, ${fmtNum(n.processors)} processors`],
    ['Memory (alarm at)', ofLimit(n.mem_used, n.mem_limit)],
    ['Disk free (alarm below)', `${fmtBytes(n.disk_free)} (${fmtBytes(n.disk_free_limit)})`],
    ['File descriptors', `${fmtNum(n.fd_used)} of ${fmtNum(n.fd_total)}`],
    ['Client connections', fmtNum(n.sockets_used)],
    ['Configuration files', (n.config_files ?? []).join(', ') || 'none'],
  ])
}

function memoryView(m) {
  const total = m.total?.rss ?? 0
  const bar = h(
    'div',
    { class: 'memory-bar', role: 'img', 'aria-label': 'Memory by use' },
    PARTS.map(([key, label], i) =>
      h('span', {
        title: `${label}: ${fmtBytes(m[key] ?? 0)}`,
        style: {
          width: `${total ? ((100 * (m[key] ?? 0)) / total).toFixed(2) : 0}%`,
          background: COLOURS[i],
        },
      }),
    ),
  )
  const rows = PARTS.map(([key, label], i) => ({ key, label, bytes: m[key] ?? 0, colour: COLOURS[i] }))
  return [
    h('p', {}, `Resident memory (RSS): ${fmtBytes(total)}`),
    bar,
    table(
      [
        { title: '', value: (r) => h('span', { class: 'swatch', style: { background: r.colour } }) },
        { title: 'Used by', value: (r) => r.label },
        { title: 'Bytes', value: (r) => fmtBytes(r.bytes), className: 'num' },
        {
          title: 'Share',
          value: (r) => (total ? `${((100 * r.bytes) / total).toFixed(1)} %` : '–'),
          className: 'num',
        },
      ],
      rows,
    ),
  ]
}

function listenerTable(listeners) {
  return table(
    [
      { title: 'Protocol', value: (l) => l.protocol },
      { title: 'Bound to', value: (l) => l.ip_address },
      { title: 'Port', value: (l) => String(l.port), className: 'num' },
    ],
    listeners,
  )
}
