// /api/policies and /api/operator-policies: list, read, set and clear, with RabbitMQ's JSON shape
// ({vhost, name, pattern, apply-to, definition, priority}). Policies apply to existing queues and
// exchanges at once (VHost.setPolicy).
import type { ApplyTo, Policy, VHost } from '../../core/index.js'
import { BrokerError } from '../../shared/index.js'
import { listedVhosts, requirePolicyAccess, requireVhostAccess } from '../auth.js'
import type { ManagementContext } from '../context.js'
import { badRequest, keyMissing, notFound } from '../http-errors.js'
import { type Item, replyItem, replyList } from '../listing.js'
import type { Call, Routes } from '../server.js'

export function formatPolicy(p: Policy): Item {
  return {
    vhost: p.vhost,
    name: p.name,
    pattern: p.pattern,
    'apply-to': p.applyTo,
    definition: p.definition,
    priority: p.priority,
  }
}

export function registerPolicyRoutes(routes: Routes): void {
  for (const [base, operator] of [
    ['/api/policies', false],
    ['/api/operator-policies', true],
  ] as const) {
    // As in RabbitMQ: the lists are for users with access to the vhost; one policy, read or changed, is
    // for policymakers with access to its vhost (administrators only, for operator policies).
    const level = operator ? 'administrator' : 'policymaker'
    const of = (v: VHost): Map<string, Policy> => (operator ? v.operatorPolicies : v.policies)
    routes.add('GET', base, 'management', ({ ctx, user, query }) =>
      replyList(
        listedVhosts(ctx, user).flatMap((v) => [...of(v).values()].map(formatPolicy)),
        query,
      ),
    )
    routes.add('GET', `${base}/:vhost`, 'management', ({ ctx, user, query, params }) => {
      requireVhostAccess(ctx, user, params['vhost'] as string)
      const v = vhostOf(ctx, params['vhost'])
      return replyList([...of(v).values()].map(formatPolicy), query)
    })
    routes.add('GET', `${base}/:vhost/:name`, level, ({ ctx, user, query, params }) => {
      const v = vhostOf(ctx, params['vhost'])
      requirePolicyAccess(ctx, user, v.name)
      const p = of(v).get(params['name'] as string)
      if (!p) throw notFound()
      return replyItem(formatPolicy(p), query)
    })
    routes.add('PUT', `${base}/:vhost/:name`, level, (c) => putPolicy(c, operator))
    routes.add('DELETE', `${base}/:vhost/:name`, level, ({ ctx, user, params }) => {
      const v = vhostOf(ctx, params['vhost'])
      requirePolicyAccess(ctx, user, v.name)
      if (!v.clearPolicy(params['name'] as string, operator)) throw notFound()
      ctx.definitionsChanged()
    })
  }
}

function vhostOf(ctx: ManagementContext, name: string | undefined): VHost {
  const v = ctx.broker.vhosts.get(name ?? '')
  if (!v) throw notFound()
  return v
}

function putPolicy(c: Call, operator: boolean): void {
  const { ctx, user, params } = c
  const v = vhostOf(ctx, params['vhost'])
  requirePolicyAccess(ctx, user, v.name)
  const body = c.body()
  for (const key of ['pattern', 'definition']) if (body[key] === undefined) throw keyMissing(key)
  const definition = body['definition']
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw badRequest('Validation failed\n\ndefinition must be a dictionary')
  }
  const name = params['name'] as string
  const before = (operator ? v.operatorPolicies : v.policies).get(name)
  const policy: Policy = {
    vhost: v.name,
    name,
    pattern: String(body['pattern']),
    applyTo: (body['apply-to'] ?? 'all') as ApplyTo,
    priority: Number(body['priority'] ?? 0),
    definition: definition as Record<string, unknown>,
  }
  try {
    v.setPolicy(policy, operator)
  } catch (err) {
    if (err instanceof BrokerError) throw badRequest(`Validation failed\n\n${err.message}\n`)
    throw err
  }
  ctx.definitionsChanged()
  if (before === undefined) c.reply.code(201)
  c.notStored(() => (before ? v.setPolicy(before, operator) : v.clearPolicy(name, operator)))
}
