// status: rabbitmqctl's node report, from what the HTTP API tells (/api/overview, /api/nodes/<node>,
// /api/vhosts). Sections about Erlang internals (schedulers, memory breakdown, file descriptors) and
// files on the broker's disk (config, logs, data directory) are left out: the CLI only speaks HTTP.
import type { Ctx, CtlCommand } from '../context.js'
import { CtlError, EXIT } from '../errors.js'
import { seg } from '../http.js'

export interface Listener {
  readonly protocol?: string
  readonly ip_address?: string
  readonly port?: number
}

/** What /api/overview answers, as the node reports use it. */
export interface Overview {
  readonly node?: string
  readonly rabbitmq_version?: string
  readonly product_name?: string
  readonly product_version?: string
  readonly listeners?: readonly Listener[]
  readonly object_totals?: { readonly connections?: number; readonly queues?: number }
}

interface NodeInfo {
  readonly os_pid?: string | number
  readonly uptime?: number
  readonly mem_used?: number
  readonly mem_limit?: number
  readonly mem_alarm?: boolean
  readonly mem_calculation_strategy?: string
  readonly disk_free?: number
  readonly disk_free_limit?: number
  readonly disk_free_alarm?: boolean
  readonly enabled_plugins?: readonly string[]
  readonly net_ticktime?: number
  readonly run_queue?: number
}

interface Status {
  readonly node: string
  readonly overview: Overview
  readonly info: NodeInfo
  readonly vhostCount: number
}

const UNITS: Readonly<Record<string, number>> = { bytes: 1, kb: 1e3, mb: 1e6, gb: 1e9 }
export const PURPOSES: Readonly<Record<string, string>> = {
  amqp: 'AMQP 0-9-1',
  'amqp/ssl': 'AMQP 0-9-1 over TLS',
  mqtt: 'MQTT',
  'mqtt/ssl': 'MQTT over TLS',
  stomp: 'STOMP',
  'stomp/ssl': 'STOMP over TLS',
  http: 'HTTP API',
  'http/prometheus': 'Prometheus exporter API over HTTP',
  'http/web-mqtt': 'MQTT over WebSockets',
  'https/web-mqtt': 'MQTT over WebSockets and TLS (HTTPS)',
  'http/web-stomp': 'STOMP over WebSockets',
  'https/web-stomp': 'STOMP over WebSockets and TLS (HTTPS)',
  clustering: 'inter-node and CLI tool communication',
}

async function fetchStatus(c: Ctx): Promise<Status> {
  const overview = (await c.api.get('/api/overview')) as Overview
  const node = overview.node ?? (await c.nodeName())
  const info = (await c.api.get(`/api/nodes/${seg(node)}`)) as NodeInfo
  const vhosts = await c.api.get('/api/vhosts?columns=name')
  return { node, overview, info, vhostCount: Array.isArray(vhosts) ? vhosts.length : 0 }
}

/** RabbitMQ's rounding: four decimals, and a float always shows one (`50.0 mb`); bytes are whole. */
function size(bytes: number | undefined, unit: string): string {
  if (bytes === undefined) return 'unknown'
  if (unit === 'bytes') return `${bytes} bytes`
  const v = Math.round((bytes / (UNITS[unit] ?? 1e9)) * 1e4) / 1e4
  return `${Number.isInteger(v) ? v.toFixed(1) : String(v)} ${unit}`
}

function alarms(s: Status): string[] {
  const out: string[] = []
  if (s.info.mem_alarm) out.push(`Memory alarm on node ${s.node}`)
  if (s.info.disk_free_alarm) out.push(`Free disk space alarm on node ${s.node}`)
  return out
}

export const iface = (ip: string | undefined): string => (ip?.includes(':') ? `[${ip}]` : (ip ?? ''))

function listenerLines(s: Status): string[] {
  return (s.overview.listeners ?? []).map(
    (l) =>
      `Interface: ${iface(l.ip_address)}, port: ${l.port ?? ''}, protocol: ${l.protocol ?? ''}, ` +
      `purpose: ${PURPOSES[l.protocol ?? ''] ?? l.protocol ?? ''}`,
  )
}

function runtime(s: Status): string[] {
  const { info, overview } = s
  const product = overview.product_name
  return [
    `OS PID: ${info.os_pid ?? ''}`,
    `Uptime (seconds): ${Math.floor((info.uptime ?? 0) / 1000)}`,
    'Is under maintenance?: false',
    `RabbitMQ version: ${overview.rabbitmq_version ?? ''}`,
    // Warren reports the RabbitMQ version it matches, and its own.
    ...(product && product !== 'RabbitMQ' ? [`${product} version: ${overview.product_version ?? ''}`] : []),
    `Node name: ${s.node}`,
    `Cluster heartbeat timeout (net_ticktime): ${info.net_ticktime ?? ''}`,
  ]
}

function resources(s: Status, unit: string): [string, string[]][] {
  const { info } = s
  return [
    [
      'Memory',
      [
        `Total memory used: ${size(info.mem_used, unit)}`,
        `Calculation strategy: ${info.mem_calculation_strategy ?? ''}`,
        `Memory high watermark: ${size(info.mem_limit, unit)}`,
      ],
    ],
    [
      'Free Disk Space',
      [
        `Low free disk space watermark: ${size(info.disk_free_limit, unit)}`,
        `Free disk space: ${size(info.disk_free, unit)}`,
      ],
    ],
  ]
}

function totals(s: Status): string[] {
  return [
    `Connection count: ${s.overview.object_totals?.connections ?? 0}`,
    `Queue count: ${s.overview.object_totals?.queues ?? 0}`,
    `Virtual host count: ${s.vhostCount}`,
  ]
}

/** The report's sections in rabbitmqctl's order: title, then lines. */
function sections(s: Status, unit: string): [string, string[]][] {
  const plugins = s.info.enabled_plugins ?? []
  const raised = alarms(s)
  return [
    ['Runtime', runtime(s)],
    ['Plugins', ['Enabled plugins:', '', ...plugins.map((p) => ` * ${p}`)]],
    ['Alarms', raised.length > 0 ? raised : ['(none)']],
    ...resources(s, unit),
    ['Totals', totals(s)],
    ['Listeners', listenerLines(s)],
  ]
}

/** The keys of `rabbitmqctl status --formatter json` that the HTTP API has values for. */
function statusJson(s: Status): Record<string, unknown> {
  const { info, overview } = s
  return {
    active_plugins: info.enabled_plugins ?? [],
    alarms: alarms(s),
    disk_free: info.disk_free,
    disk_free_limit: info.disk_free_limit,
    is_under_maintenance: false,
    listeners: (overview.listeners ?? []).map((l) => ({
      interface: iface(l.ip_address),
      node: s.node,
      port: l.port,
      protocol: l.protocol,
      purpose: PURPOSES[l.protocol ?? ''] ?? l.protocol,
    })),
    memory: { total: { rss: info.mem_used } },
    net_ticktime: info.net_ticktime,
    pid: Number(info.os_pid),
    product_name: overview.product_name,
    product_version: overview.product_version,
    rabbitmq_version: overview.rabbitmq_version,
    run_queue: info.run_queue,
    totals: {
      virtual_host_count: s.vhostCount,
      connection_count: overview.object_totals?.connections ?? 0,
      queue_count: overview.object_totals?.queues ?? 0,
    },
    uptime: Math.floor((info.uptime ?? 0) / 1000),
    vm_memory_calculation_strategy: info.mem_calculation_strategy,
    vm_memory_high_watermark_limit: info.mem_limit,
  }
}

export const statusCommands: readonly CtlCommand[] = [
  {
    name: 'status',
    summary: 'displays the status of the node',
    options: [['--unit <unit>', 'byte multiple to use: bytes, kb, mb or gb (default gb)']],
    run: async (c, _args, opts) => {
      const unit = String(opts['unit'] ?? 'gb')
      if (!Object.hasOwn(UNITS, unit)) {
        throw new CtlError(
          `Error (argument validation): "unit '${unit}' is not supported. Please use one of: bytes, kb, mb, gb"`,
          EXIT.usage,
        )
      }
      const s = await fetchStatus(c)
      if (c.out.mode.json) return c.out.json(statusJson(s))
      c.out.info(`Status of node ${s.node} ...`)
      const bold = (t: string): string => (c.io.isTTY ? `\x1b[1m${t}\x1b[0m` : t)
      const text = sections(s, unit).map(([title, lines]) => [bold(title), '', ...lines].join('\n'))
      c.out.result(text.join('\n\n'))
    },
  },
]
