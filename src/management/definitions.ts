// Definitions export and import in RabbitMQ's format (what /api/definitions and `rabbitmqadmin export`
// exchange): users with password_hash and hashing_algorithm, vhosts, permissions, queues, exchanges,
// bindings. As RabbitMQ 3.10 does, the export includes non-durable queues and exchanges (not exclusive
// queues, nor the built-in amq.* exchanges). Import is checked first and applied in RabbitMQ's order.
import { checkPermission, HASHING_ALGORITHM, type Permission } from '../auth/index.js'
import { type Definitions, exportPolicies, importPolicies, isQueue, type VHost } from '../core/index.js'
import { BrokerError, checkUserPattern } from '../shared/index.js'
import type { ManagementContext } from './context.js'
import { FULL_PERMISSION, parseTags, passwordHashOf, vhostMeta } from './format/accounts.js'
import { badRequest } from './http-errors.js'
import { jsonBool, jsonToTable, tableToJson } from './json.js'

type Obj = Record<string, unknown>

const isBuiltIn = (name: string): boolean => name === '' || name.startsWith('amq.')

export function exportDefinitions(ctx: ManagementContext): Obj {
  const vhosts = [...ctx.broker.vhosts.values()]
  return {
    rabbit_version: ctx.rabbitmqVersion,
    rabbitmq_version: ctx.rabbitmqVersion,
    product_name: 'Warren',
    product_version: ctx.productVersion,
    users: [...ctx.users.users.values()].map((u) => ({
      name: u.name,
      password_hash: u.passwordHash,
      hashing_algorithm: HASHING_ALGORITHM,
      tags: [...u.tags],
      limits: {},
    })),
    vhosts: vhosts.map((v) => {
      const meta = vhostMeta(ctx, v.name)
      return { name: v.name, description: meta.description, tags: meta.tags, metadata: { ...meta } }
    }),
    permissions: [...ctx.users.permissions].flatMap(([vhost, byUser]) =>
      [...byUser].map(([user, p]) => ({ user, vhost, configure: p.configure, write: p.write, read: p.read })),
    ),
    topic_permissions: [],
    parameters: operatorPolicyParameters(ctx),
    global_parameters: [],
    policies: exportPolicies(ctx.broker, false),
    ...topology(vhosts, true),
  }
}

export function exportVhostDefinitions(ctx: ManagementContext, v: VHost): Obj {
  const policies = exportPolicies(ctx.broker, false, v.name).map(({ vhost: _vhost, ...p }) => p)
  const parameters = operatorPolicyParameters(ctx, v.name).map(({ vhost: _vhost, ...p }) => p)
  return { rabbit_version: ctx.rabbitmqVersion, parameters, policies, ...topology([v], false) }
}

function topology(vhosts: VHost[], withVhost: boolean): { queues: Obj[]; exchanges: Obj[]; bindings: Obj[] } {
  const at = (v: VHost): Obj => (withVhost ? { vhost: v.name } : {})
  const queues: Obj[] = []
  const exchanges: Obj[] = []
  const bindings: Obj[] = []
  for (const v of vhosts) {
    for (const q of v.queues.values()) {
      if (q.exclusiveOwner !== undefined) continue
      queues.push({
        name: q.name,
        ...at(v),
        durable: q.durable,
        auto_delete: q.autoDelete,
        arguments: tableToJson(q.args),
      })
    }
    for (const ex of v.exchanges.values()) {
      if (!isBuiltIn(ex.name)) {
        exchanges.push({
          name: ex.name,
          ...at(v),
          type: ex.type,
          durable: ex.durable,
          auto_delete: ex.autoDelete,
          internal: ex.internal,
          arguments: tableToJson(ex.args),
        })
      }
      for (const b of ex.bindings) {
        if (isQueue(b.destination) && b.destination.exclusiveOwner !== undefined) continue
        bindings.push({
          source: ex.name,
          ...at(v),
          destination: b.destination.name,
          destination_type: isQueue(b.destination) ? 'queue' : 'exchange',
          routing_key: b.routingKey,
          arguments: tableToJson(b.args),
        })
      }
    }
  }
  return { queues, exchanges, bindings }
}

const list = (defs: Obj, key: string): Obj[] => {
  const v = defs[key]
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw badRequest(`'${key}' must be a list`)
  return v.filter((x): x is Obj => typeof x === 'object' && x !== null)
}
const str = (o: Obj, key: string): string => {
  const v = o[key]
  if (typeof v !== 'string') throw badRequest(`[{key_missing,${key}}]`)
  return v
}

/**
 * Imports definitions. With `into`, everything goes to that vhost and only queues, exchanges and
 * bindings are read (RabbitMQ's per-vhost import). Vhost references are checked before any change.
 */
export function importDefinitions(ctx: ManagementContext, defs: Obj, into?: VHost): void {
  const vhostOf = (o: Obj): string => (into ? into.name : str(o, 'vhost'))
  if (!into) checkVhostsExist(ctx, defs, vhostOf)
  checkPatterns(defs)
  try {
    if (!into) importAccounts(ctx, defs)
    importTopology(ctx, defs, vhostOf)
    importPolicies(
      ctx.broker,
      list(defs, 'parameters')
        .filter((p) => p['component'] === 'operator_policy')
        .map((p) => ({
          ...(p['value'] as Obj),
          name: p['name'],
          vhost: vhostOf(p),
        })) as Definitions['policies'],
      true,
    )
    importPolicies(
      ctx.broker,
      list(defs, 'policies').map((p) => ({ ...p, vhost: vhostOf(p) })) as Definitions['policies'],
      false,
    )
  } catch (err) {
    if (err instanceof BrokerError) throw badRequest(err.message)
    throw err
  }
  ctx.definitionsChanged()
}

function checkVhostsExist(ctx: ManagementContext, defs: Obj, vhostOf: (o: Obj) => string): void {
  const known = new Set([...ctx.broker.vhosts.keys(), ...list(defs, 'vhosts').map((v) => str(v, 'name'))])
  for (const key of ['permissions', 'queues', 'exchanges', 'bindings']) {
    for (const o of list(defs, key)) {
      const vhost = vhostOf(o)
      if (!known.has(vhost)) throw badRequest(['no_such_vhost', vhost])
    }
  }
}

function importAccounts(ctx: ManagementContext, defs: Obj): void {
  const users = list(defs, 'users').map((u) => ({
    name: str(u, 'name'),
    hash: passwordHashOf(u),
    tags: parseTags(u['tags']),
  }))
  for (const u of users) {
    const existing = ctx.users.users.get(u.name)
    if (existing) {
      existing.passwordHash = u.hash
      existing.tags = u.tags
    } else ctx.users.users.set(u.name, { name: u.name, passwordHash: u.hash, tags: u.tags })
  }
  for (const v of list(defs, 'vhosts')) {
    const name = str(v, 'name')
    ctx.broker.addVhost(name)
    const meta = (typeof v['metadata'] === 'object' && v['metadata'] !== null ? v['metadata'] : v) as Obj
    const description = typeof meta['description'] === 'string' ? meta['description'] : ''
    ctx.vhostMeta.set(name, { description, tags: parseTags(meta['tags']) })
  }
  for (const p of list(defs, 'permissions')) {
    const user = str(p, 'user')
    if (!ctx.users.users.has(user)) throw badRequest(['no_such_user', user])
    ctx.users.setPermission(user, str(p, 'vhost'), permissionOf(p))
  }
}

function permissionOf(p: Obj): Permission {
  const field = (k: keyof Permission): string => (typeof p[k] === 'string' ? p[k] : FULL_PERMISSION[k])
  return { configure: field('configure'), write: field('write'), read: field('read') }
}

/** Patterns are checked before anything is imported, as a permission PUT checks them. */
function checkPatterns(defs: Obj): void {
  for (const p of list(defs, 'permissions')) {
    const invalid = checkPermission(permissionOf(p))
    if (invalid) throw badRequest(['invalid_regexp', invalid.pattern, invalid.reason])
  }
  const operatorPolicies = list(defs, 'parameters').filter((p) => p['component'] === 'operator_policy')
  for (const p of [...list(defs, 'policies'), ...operatorPolicies.map((p) => (p['value'] ?? {}) as Obj)]) {
    const pattern = p['pattern']
    const reason = typeof pattern === 'string' ? checkUserPattern(pattern) : undefined
    if (reason !== undefined) {
      throw badRequest(
        `Validation failed\n\npattern should be regular expression but is invalid: ${reason}\n`,
      )
    }
  }
}

function importTopology(ctx: ManagementContext, defs: Obj, vhostOf: (o: Obj) => string): void {
  const vhost = (o: Obj): VHost => ctx.broker.addVhost(vhostOf(o))
  for (const q of list(defs, 'queues')) {
    vhost(q).declareQueue(
      {
        name: str(q, 'name'),
        passive: false,
        durable: jsonBool(q['durable'], true),
        exclusiveOwner: undefined,
        autoDelete: jsonBool(q['auto_delete'], false),
        args: jsonToTable(q['arguments']),
      },
      -1,
    )
  }
  for (const e of list(defs, 'exchanges')) {
    if (isBuiltIn(str(e, 'name'))) continue
    vhost(e).declareExchange({
      name: str(e, 'name'),
      type: typeof e['type'] === 'string' ? e['type'] : 'direct',
      passive: false,
      durable: jsonBool(e['durable'], true),
      autoDelete: jsonBool(e['auto_delete'], false),
      internal: jsonBool(e['internal'], false),
      args: jsonToTable(e['arguments']),
    })
  }
  for (const b of list(defs, 'bindings')) {
    const v = vhost(b)
    const source = v.getExchange(str(b, 'source'))
    const destName = str(b, 'destination')
    const dest = b['destination_type'] === 'exchange' ? v.getExchange(destName) : v.getQueue(destName, -1)
    v.bind(
      source,
      dest,
      typeof b['routing_key'] === 'string' ? b['routing_key'] : '',
      jsonToTable(b['arguments']),
    )
  }
}

/** RabbitMQ's definitions carry operator policies as runtime parameters of component operator_policy. */
function operatorPolicyParameters(ctx: ManagementContext, onlyVhost?: string): Obj[] {
  return exportPolicies(ctx.broker, true, onlyVhost).map((p) => ({
    value: { pattern: p.pattern, definition: p.definition, priority: p.priority, 'apply-to': p['apply-to'] },
    vhost: p.vhost,
    component: 'operator_policy',
    name: p.name,
  }))
}
