// /api/vhost-limits and /api/user-limits: RabbitMQ's max-connections and max-queues per vhost,
// max-connections and max-channels per user (core/limits.ts, enforced by the core and the AMQP layer).
// Every management user may read the lists (vhost limits of the vhosts it sees); only administrators set
// and clear. Answers follow RabbitMQ 3.10.8's, including its quirks: clearing a vhost's last limit leaves
// the vhost listed with `"value": []`, and a vhost limit refused says "Validation failed" where a user
// limit refused does not.
import type { User } from '../../auth/index.js'
import {
  type Limits,
  limitsProblem,
  USER_LIMITS,
  VHOST_LIMITS,
  type VHost,
  withLimit,
  withoutLimit,
} from '../../core/index.js'
import { requireVhostVisible, visibleVhosts } from '../auth.js'
import { userLimits, vhostLimitsValue } from '../format/accounts.js'
import { badRequest, HttpError, keyMissing, notFound } from '../http-errors.js'
import type { Item } from '../listing.js'
import type { Call, Routes } from '../server.js'

export function registerLimitRoutes(routes: Routes): void {
  routes.add('GET', '/api/vhost-limits', 'management', ({ ctx, user }) =>
    visibleVhosts(ctx, user).flatMap((v) =>
      v.limits === undefined ? [] : [{ vhost: v.name, value: vhostLimitsValue(v.limits) }],
    ),
  )
  routes.add('GET', '/api/vhost-limits/:vhost', 'management', ({ ctx, user, params }) => {
    requireVhostVisible(ctx, user, params['vhost'] as string)
    const v = ctx.broker.vhosts.get(params['vhost'] as string)
    if (!v) throw notFound()
    return v.limits === undefined || Object.keys(v.limits).length === 0
      ? []
      : [{ vhost: v.name, value: { ...v.limits } }]
  })
  routes.add('PUT', '/api/vhost-limits/:vhost/:name', 'administrator', (c) => {
    const v = c.ctx.broker.vhosts.get(c.params['vhost'] as string)
    if (!v) throw new HttpError(404, 'not_found', 'vhost_not_found')
    const name = c.params['name'] as string
    const value = limitValue(c)
    const problem = limitsProblem({ [name]: value }, VHOST_LIMITS, 'limits')
    if (problem !== undefined) throw badRequest(`Validation failed\n\n${problem}\n`)
    setVhostLimits(c, v, withLimit(v.limits, name, value as number))
  })
  // RabbitMQ answers 500 for a vhost that does not exist; Warren 404.
  routes.add('DELETE', '/api/vhost-limits/:vhost/:name', 'administrator', (c) => {
    const v = c.ctx.broker.vhosts.get(c.params['vhost'] as string)
    if (!v) throw notFound()
    setVhostLimits(c, v, withoutLimit(v.limits, c.params['name'] as string))
  })

  routes.add('GET', '/api/user-limits', 'management', ({ ctx }) =>
    [...ctx.users.users.values()].flatMap(userLimitItems),
  )
  routes.add('GET', '/api/user-limits/:user', 'management', ({ ctx, params }) => {
    const u = ctx.users.users.get(params['user'] as string)
    if (!u) throw notFound()
    return userLimitItems(u)
  })
  routes.add('PUT', '/api/user-limits/:user/:name', 'administrator', (c) => {
    const name = c.params['name'] as string
    const value = limitValue(c)
    const problem = limitsProblem({ [name]: value }, USER_LIMITS, 'user-limits')
    if (problem !== undefined) throw badRequest(problem)
    const u = c.ctx.users.users.get(c.params['user'] as string)
    if (!u) throw badRequest(['no_such_user', c.params['user']])
    setUserLimits(c, u, { ...u.limits, [name]: value as number })
  })
  // RabbitMQ answers 500 for a user that does not exist; Warren 404.
  routes.add('DELETE', '/api/user-limits/:user/:name', 'administrator', (c) => {
    const u = c.ctx.users.users.get(c.params['user'] as string)
    if (!u) throw notFound()
    setUserLimits(c, u, withoutLimit(u.limits, c.params['name'] as string))
  })
}

function limitValue(c: Call): unknown {
  const body = c.body()
  if (!('value' in body)) throw keyMissing('value')
  return body['value']
}

function userLimitItems(u: User): Item[] {
  return u.limits === undefined || Object.keys(u.limits).length === 0
    ? []
    : [{ user: u.name, value: userLimits(u) }]
}

/** Sets a vhost's limits; they are undone if the disk refuses to store them. */
function setVhostLimits(c: Call, v: VHost, limits: Limits): void {
  const before = v.limits
  v.limits = limits
  c.notStored(() => (v.limits = before))
  c.ctx.definitionsChanged()
}

/** Sets a user's limits (the User object is shared with open connections: changed in place). */
export function setUserLimits(c: Call, u: User, limits: Limits): void {
  const before = u.limits
  u.limits = limits
  c.notStored(() => {
    if (before === undefined) delete u.limits
    else u.limits = before
  })
  c.ctx.definitionsChanged()
}
