// The messages an x-delayed-message exchange holds (delayed and scheduled ones): the next ones in due order,
// cancelling one (a whole series) and purging them all. Warren's own paths (the delayed-message plugin has
// no API for them), under the exchange's: /api/exchanges/{vhost}/{name}/delayed. Reading or changing
// them takes read permission on the exchange, as getting or purging a queue's messages takes on the queue.
import { DelayedExchange, type HeldMessage, type VHost } from '../../core/index.js'
import { requireVhostAccess } from '../auth.js'
import { exchangeUrlName } from '../format/objects.js'
import { formatPayload } from '../format/payload.js'
import { badRequest, notFound } from '../http-errors.js'
import { propertiesToJson } from '../json.js'
import type { Item } from '../listing.js'
import type { Call, Routes } from '../server.js'
import { httpSession } from '../session.js'

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 10_000

export function registerDelayedRoutes(routes: Routes): void {
  routes.add('GET', '/api/exchanges/:vhost/:name/delayed', 'management', async (c) => {
    const { ex } = delayedExchange(c)
    const limit = intParam(c.query['limit'], DEFAULT_LIMIT, 'limit')
    if (limit > MAX_LIMIT) throw badRequest(`limit must be at most ${MAX_LIMIT}`)
    const encoding = c.query['encoding'] ?? 'auto'
    if (encoding !== 'auto' && encoding !== 'base64')
      throw badRequest('Unsupported encoding. Please use auto or base64.')
    const truncate =
      c.query['truncate'] === undefined ? undefined : intParam(c.query['truncate'], 0, 'truncate')
    const now = c.ctx.clock.now()
    return (await ex.list(limit)).map((h) => formatHeld(h, now, encoding, truncate))
  })
  routes.add('DELETE', '/api/exchanges/:vhost/:name/delayed/:id', 'management', (c) => {
    const { ex } = delayedExchange(c)
    const id = Number(c.params['id'])
    if (!Number.isInteger(id) || !ex.cancel(id)) throw notFound()
    c.reply.code(204)
  })
  routes.add('DELETE', '/api/exchanges/:vhost/:name/delayed', 'management', (c) => {
    const { ex } = delayedExchange(c)
    ex.purge()
    c.reply.code(204)
  })
}

/** The exchange in the URL: 404 when it is missing, 400 when it holds no messages (another type). */
function delayedExchange(c: Call): { v: VHost; ex: DelayedExchange } {
  const vhostName = c.params['vhost'] as string
  requireVhostAccess(c.ctx, c.user, vhostName)
  const v = c.ctx.broker.vhosts.get(vhostName)
  if (!v) throw notFound()
  const ex = v.exchanges.get(exchangeUrlName(c.params['name'] ?? ''))
  if (!ex) throw notFound()
  httpSession(c, v).permit('read', 'exchange', ex.name)
  if (!(ex instanceof DelayedExchange))
    throw badRequest(`exchange '${ex.name}' is of type '${ex.type}', not x-delayed-message`)
  return { v, ex }
}

function intParam(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw badRequest(`${name} must be a non-negative integer`)
  return n
}

function formatHeld(h: HeldMessage, now: number, encoding: string, truncate: number | undefined): Item {
  const m = h.message
  const s = h.schedule
  return {
    id: h.id,
    due: new Date(h.due).toISOString(),
    due_in_ms: Math.max(0, h.due - now),
    delay: s.delay,
    repeat: s.repeat,
    period: s.period,
    cron: s.cron ?? null,
    remaining: h.remaining,
    exchange: m?.exchange ?? null,
    routing_key: m?.routingKey ?? null,
    properties: m ? propertiesToJson(m.properties) : {},
    ...(m
      ? formatPayload(m.body, encoding, truncate)
      : { payload_bytes: 0, payload: '', payload_encoding: 'string' }),
  }
}
