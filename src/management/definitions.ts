// Definitions export and import in RabbitMQ's format (what /api/definitions and `rabbitmqadmin export`
// exchange): users with password_hash, hashing_algorithm and limits, vhosts, permissions, topic
// permissions, parameters (vhost limits, operator policies), queues, exchanges, bindings. As RabbitMQ
// 3.10 does, the export includes non-durable queues and exchanges (not exclusive queues, nor the
// built-in amq.* exchanges). Import is checked first and applied in RabbitMQ's order.
import { checkPermission, HASHING_ALGORITHM, type Permission } from '../auth/index.js'
import {
  type Definitions,
  exportPolicies,
  importPolicies,
  isQueue,
  limitOf,
  limitsProblem,
  VHOST_LIMITS,
  type VHost,
} from '../core/index.js'
import { BrokerError, checkUserPattern } from '../shared/index.js'
import type { ManagementContext } from './context.js'
import {
  FULL_PERMISSION,
  limitsOf,
  listTopicPermissions,
  parseTags,
  passwordHashOf,
  userLimits,
  vhostLimitsValue,
  vhostMeta,
} from './format/accounts.js'
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
      limits: userLimits(u),
    })),
    vhosts: vhosts.map((v) => {
      const meta = vhostMeta(ctx, v.name)
      return { name: v.name, description: meta.description, tags: meta.tags, metadata: { ...meta } }
    }),
    permissions: [...ctx.users.permissions].flatMap(([vhost, byUser]) =>
      [...byUser].map(([user, p]) => ({ user, vhost, configure: p.configure, write: p.write, read: p.read })),
    ),
    topic_permissions: listTopicPermissions(ctx),
    parameters: [...vhostLimitParameters(vhosts), ...operatorPolicyParameters(ctx)],
    global_parameters: [],
    policies: exportPolicies(ctx.broker, false),
    ...topology(vhosts, true),
  }
}

export function exportVhostDefinitions(ctx: ManagementContext, v: VHost): Obj {
  const policies = exportPolicies(ctx.broker, false, v.name).map(({ vhost: _vhost, ...p }) => p)
  const parameters = [
    ...vhostLimitParameters([v]),
    ...operatorPolicyParameters(ctx, v.name).map(({ vhost: _vhost, ...p }) => p),
  ]
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
  const limits = vhostLimitsOf(defs, vhostOf)
  checkQueueLimits(ctx, defs, vhostOf, into !== undefined)
  try {
    if (!into) importAccounts(ctx, defs)
    for (const [vhost, value] of limits) ctx.broker.addVhost(vhost).limits = value
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
  for (const key of ['permissions', 'topic_permissions', 'parameters', 'queues', 'exchanges', 'bindings']) {
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
    limits: limitsOf(u['limits']),
  }))
  for (const u of users) {
    const existing = ctx.users.users.get(u.name)
    if (existing) {
      existing.passwordHash = u.hash
      existing.tags = u.tags
      if (u.limits) existing.limits = { ...existing.limits, ...u.limits }
    } else ctx.users.restoreUser(u.name, u.hash, u.tags, u.limits)
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
  for (const p of list(defs, 'topic_permissions')) {
    const user = str(p, 'user')
    if (!ctx.users.users.has(user)) throw badRequest(['no_such_user', user])
    const { exchange, write, read } = topicPermissionOf(p)
    ctx.users.setTopicPermission(user, str(p, 'vhost'), { exchange, write, read })
  }
}

function topicPermissionOf(p: Obj): { exchange: string; write: string; read: string } {
  const field = (k: string): string => (typeof p[k] === 'string' ? p[k] : '')
  return { exchange: str(p, 'exchange'), write: field('write'), read: field('read') }
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
  for (const p of list(defs, 'topic_permissions')) {
    const invalid = checkPermission(topicPermissionOf(p))
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

/** RabbitMQ's definitions carry vhost limits as runtime parameters of component vhost-limits. */
function vhostLimitParameters(vhosts: VHost[]): Obj[] {
  return vhosts.flatMap((v) =>
    v.limits === undefined
      ? []
      : [{ value: vhostLimitsValue(v.limits), vhost: v.name, component: 'vhost-limits', name: 'limits' }],
  )
}

/** The vhost-limits parameters of `defs`, checked as RabbitMQ checks them (a 400 for the first refused). */
function vhostLimitsOf(defs: Obj, vhostOf: (o: Obj) => string): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>()
  for (const p of list(defs, 'parameters')) {
    if (p['component'] !== 'vhost-limits') continue
    const vhost = vhostOf(p)
    const value = p['value'] ?? []
    const values = Array.isArray(value) && value.length === 0 ? {} : value
    let problem: string | undefined
    if (p['name'] !== 'limits')
      problem = `vhost limits are one parameter named 'limits', not '${String(p['name'])}'`
    else if (typeof values !== 'object' || Array.isArray(values)) problem = 'limits not a list'
    else problem = limitsProblem(values as Obj, VHOST_LIMITS, 'limits')
    if (problem !== undefined) {
      // RabbitMQ's definitions import escapes the reason as HTML.
      const escaped = problem.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      throw badRequest(`Validation failed\n\n${escaped}\n (${vhost}/vhost-limits/limits)`)
    }
    out.set(vhost, values as Record<string, number>)
  }
  return out
}

/**
 * RabbitMQ's check that the queues of an import fit in their vhosts' max-queues (as set before the
 * import): a whole-broker import reports it as an Erlang term, a one-vhost import as text.
 */
function checkQueueLimits(
  ctx: ManagementContext,
  defs: Obj,
  vhostOf: (o: Obj) => string,
  text: boolean,
): void {
  const adding = new Map<string, number>()
  for (const q of list(defs, 'queues')) {
    const vhost = vhostOf(q)
    if (ctx.broker.vhosts.get(vhost)?.queues.has(str(q, 'name')) === true) continue
    adding.set(vhost, (adding.get(vhost) ?? 0) + 1)
  }
  for (const [vhost, add] of adding) {
    const v = ctx.broker.vhosts.get(vhost)
    const max = v ? limitOf(v.limits, 'max-queues') : undefined
    if (v === undefined || max === undefined || v.queues.size + add <= max) continue
    const message =
      `Adding ${add} queue(s) to virtual host "${vhost}" would exceed the limit of ${max} queue(s).\n\n` +
      `This virtual host currently has ${max === 0 ? 0 : v.queues.size} queue(s) defined.\n\nImport aborted!`
    throw badRequest(text ? message : ['vhost_limit_exceeded', [...message].map((c) => c.codePointAt(0))])
  }
}
