// The Prometheus endpoints: /metrics (the node), /metrics/per-object (each object) and /metrics/detailed
// (the families asked for). Served on their own listener, port 15692 as rabbitmq_prometheus does, and on
// the HTTP API's port as well. Unauthenticated, as the plugin's are. Compressed when the scraper accepts
// gzip (Prometheus does), as the plugin does: a per-object scrape of many queues is large and repetitive.
// On a cluster's leader the cluster view is read first (it asks etcd), then the text is built at once.
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ClusterView, ManagementContext } from '../context.js'
import { aggregated, detailed, perObject } from '../metrics/endpoints.js'

const CONTENT_TYPE = 'text/plain; version=0.0.4'
const gzipped = promisify(gzip)

/** A query parameter that may repeat (family=a&family=b) as a list. */
function list(v: unknown): string[] {
  if (v === undefined) return []
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string')
}

async function send(req: FastifyRequest, reply: FastifyReply, text: string): Promise<FastifyReply> {
  reply.type(CONTENT_TYPE)
  if (!/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.send(text)
  return reply.header('content-encoding', 'gzip').send(await gzipped(text))
}

/** The cluster's view, or undefined on a single node; a scrape while it cannot be read goes without it. */
async function clusterOf(ctx: ManagementContext): Promise<ClusterView | undefined> {
  return ctx.cluster ? ctx.cluster().catch(() => undefined) : undefined
}

export function registerMetricsRoutes(app: FastifyInstance, ctx: ManagementContext): void {
  app.get('/metrics', async (req, reply) => send(req, reply, aggregated(ctx, await clusterOf(ctx))))
  app.get('/metrics/per-object', async (req, reply) => send(req, reply, perObject(ctx, await clusterOf(ctx))))
  app.get('/metrics/detailed', (req, reply) => {
    const q = req.query as Record<string, unknown>
    return send(req, reply, detailed(ctx, list(q['family']), list(q['vhost'])))
  })
}
