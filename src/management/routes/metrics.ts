// The Prometheus endpoints: /metrics (the node), /metrics/per-object (each queue) and /metrics/detailed
// (the families asked for). Served on their own listener, port 15692 as rabbitmq_prometheus does, and on
// the HTTP API's port as well. Unauthenticated, as the plugin's are.
import type { FastifyInstance } from 'fastify'
import type { ManagementContext } from '../context.js'
import { aggregated } from '../metrics/aggregated.js'
import { detailed } from '../metrics/detailed.js'
import { perObject } from '../metrics/per-object.js'

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** A query parameter that may repeat (family=a&family=b) as a list. */
function list(v: unknown): string[] {
  if (v === undefined) return []
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string')
}

export function registerMetricsRoutes(app: FastifyInstance, ctx: ManagementContext): void {
  app.get('/metrics', (_req, reply) => reply.type(CONTENT_TYPE).send(aggregated(ctx)))
  app.get('/metrics/per-object', (_req, reply) => reply.type(CONTENT_TYPE).send(perObject(ctx)))
  app.get('/metrics/detailed', (req, reply) => {
    const q = req.query as Record<string, unknown>
    return reply.type(CONTENT_TYPE).send(detailed(ctx, list(q['family']), list(q['vhost'])))
  })
}
