// Definitions in RabbitMQ's export format (what `rabbitmqctl export_definitions` and the management
// API's /api/definitions produce): durable exchanges, queues and bindings per vhost. Arguments are
// plain JSON there, so field tables are converted both ways.
import { Decimal, type FieldTable, type FieldValue, Timestamp, TypedValue } from '../shared/index.js'
import type { Broker } from './broker.js'
import type { ApplyTo } from './policy.js'
import type { Definitions } from './ports.js'
import { isQueue } from './queue-types/queue.js'

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

export function fieldToJson(v: FieldValue): Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (v instanceof TypedValue) return Number(v.value)
  if (v instanceof Timestamp) return v.seconds
  if (v instanceof Decimal) return v.value / 10 ** v.scale
  // RabbitMQ's JSON shows byte strings as text.
  if (Buffer.isBuffer(v)) return v.toString('utf8')
  if (Array.isArray(v)) return v.map(fieldToJson)
  return tableToJson(v)
}

export function tableToJson(t: FieldTable): { [k: string]: Json } {
  const out: { [k: string]: Json } = {}
  for (const [k, v] of Object.entries(t)) out[k] = fieldToJson(v)
  return out
}

export function jsonToField(v: unknown): FieldValue {
  if (v === null || v === undefined) return null
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v
  if (Array.isArray(v)) return v.map(jsonToField)
  if (typeof v === 'object') return jsonToTable(v as Record<string, unknown>)
  return String(v)
}

export function jsonToTable(o: Record<string, unknown> | undefined): FieldTable {
  const out: FieldTable = {}
  if (o) for (const [k, v] of Object.entries(o)) out[k] = jsonToField(v)
  return out
}

/** The exchanges RabbitMQ creates in every vhost; they are never exported. */
const isBuiltInExchange = (name: string): boolean => name === '' || name.startsWith('amq.')

/** Durable exchanges, queues and bindings of every vhost (or one), in RabbitMQ's shape. */
export function exportTopology(
  broker: Broker,
  onlyVhost?: string,
): Required<Pick<Definitions, 'exchanges' | 'queues' | 'bindings'>> {
  const defs = { exchanges: [], queues: [], bindings: [] } as Required<
    Pick<Definitions, 'exchanges' | 'queues' | 'bindings'>
  >
  for (const v of broker.vhosts.values()) {
    if (onlyVhost !== undefined && v.name !== onlyVhost) continue
    for (const ex of v.exchanges.values()) {
      if (ex.durable && !isBuiltInExchange(ex.name)) {
        defs.exchanges.push({
          name: ex.name,
          vhost: v.name,
          type: ex.type,
          durable: true,
          auto_delete: ex.autoDelete,
          internal: ex.internal,
          arguments: tableToJson(ex.args),
        })
      }
      // Bindings from built-in exchanges (amq.topic to a durable queue, say) are exported too.
      for (const b of ex.bindings) {
        if (!ex.durable || !b.destination.durable) continue
        defs.bindings.push({
          source: ex.name,
          vhost: v.name,
          destination: b.destination.name,
          destination_type: isQueue(b.destination) ? 'queue' : 'exchange',
          routing_key: b.routingKey,
          arguments: tableToJson(b.args),
        })
      }
    }
    for (const q of v.queues.values()) {
      if (!q.durable || q.exclusiveOwner !== undefined) continue
      defs.queues.push({
        name: q.name,
        vhost: v.name,
        durable: true,
        auto_delete: q.autoDelete,
        arguments: tableToJson(q.args),
      })
    }
  }
  return defs
}

/**
 * Creates the exchanges, queues and bindings of `defs` (vhosts must exist or are created). Existing
 * equivalent objects are left alone; an inequivalent one raises the usual 406.
 */
export function importTopology(broker: Broker, defs: Definitions): void {
  for (const e of defs.exchanges ?? []) {
    if (isBuiltInExchange(e.name)) continue
    broker.addVhost(e.vhost).declareExchange({
      name: e.name,
      type: e.type,
      passive: false,
      durable: e.durable,
      autoDelete: e.auto_delete,
      internal: e.internal,
      args: jsonToTable(e.arguments),
    })
  }
  for (const q of defs.queues ?? []) {
    broker.addVhost(q.vhost).declareQueue(
      {
        name: q.name,
        passive: false,
        durable: q.durable,
        exclusiveOwner: undefined,
        autoDelete: q.auto_delete,
        args: jsonToTable(q.arguments),
      },
      -1,
    )
  }
  for (const b of defs.bindings ?? []) {
    const v = broker.addVhost(b.vhost)
    const source = v.exchanges.get(b.source)
    const dest = b.destination_type === 'queue' ? v.queues.get(b.destination) : v.exchanges.get(b.destination)
    if (source && dest) v.bind(source, dest, b.routing_key, jsonToTable(b.arguments))
  }
}

/** Policies (or operator policies) of every vhost (or one), in RabbitMQ's definitions shape. */
export function exportPolicies(
  broker: Broker,
  operator: boolean,
  onlyVhost?: string,
): NonNullable<Definitions['policies']> {
  const out: NonNullable<Definitions['policies']> = []
  for (const v of broker.vhosts.values()) {
    if (onlyVhost !== undefined && v.name !== onlyVhost) continue
    for (const p of (operator ? v.operatorPolicies : v.policies).values()) {
      out.push({
        vhost: v.name,
        name: p.name,
        pattern: p.pattern,
        'apply-to': p.applyTo,
        priority: p.priority,
        definition: { ...p.definition },
      })
    }
  }
  return out
}

/**
 * Sets the policies of a definitions file (a 406 PreconditionFailedError for an invalid one); `stored`
 * when they are read back from disk (see VHost.setPolicy).
 */
export function importPolicies(
  broker: Broker,
  policies: Definitions['policies'],
  operator: boolean,
  stored = false,
): void {
  for (const p of policies ?? []) {
    broker.addVhost(p.vhost).setPolicy(
      {
        vhost: p.vhost,
        name: p.name,
        pattern: p.pattern,
        applyTo: (p['apply-to'] ?? 'all') as ApplyTo,
        priority: p.priority ?? 0,
        definition: p.definition,
      },
      operator,
      stored,
    )
  }
}

/** Vhost limits, stored as RabbitMQ's definitions carry them: runtime parameters of component vhost-limits. */
export function exportVhostLimits(broker: Broker): NonNullable<Definitions['parameters']> {
  const out: NonNullable<Definitions['parameters']> = []
  for (const v of broker.vhosts.values()) {
    if (v.limits !== undefined)
      out.push({ vhost: v.name, component: 'vhost-limits', name: 'limits', value: { ...v.limits } })
  }
  return out
}

/** Sets the vhost limits of stored definitions (vhosts must exist or are created). */
export function importVhostLimits(broker: Broker, parameters: Definitions['parameters']): void {
  for (const p of parameters ?? []) {
    if (p.component === 'vhost-limits') broker.addVhost(p.vhost).limits = { ...p.value }
  }
}
