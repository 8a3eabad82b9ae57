// The HTTP server: fastify with one error mapping, RabbitMQ's 404 body, and a small route table helper
// that authenticates every request at the level its route needs. A changing request's body is read as
// JSON whatever its Content-Type says (scripts often send none), except a form or text/plain body: a page
// in an administrator's browser can send those cross-site without a CORS preflight, so they get 415.
// Definitions import takes application/json only, as in RabbitMQ. See docs/security.md.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { User } from '../auth/index.js'
import { BrokerError, NoSpaceError } from '../shared/index.js'
import { authenticate, type Level } from './auth.js'
import type { ManagementContext } from './context.js'
import { badRequest, fromBrokerError, HttpError, notFound } from './http-errors.js'
import type { Query } from './listing.js'

/** Largest request body: definitions files and published messages (RabbitMQ: 20 MiB). */
const BODY_LIMIT = 20 * 1024 * 1024

export interface Call {
  readonly ctx: ManagementContext
  readonly user: User
  readonly params: Readonly<Record<string, string>>
  readonly query: Query
  readonly req: FastifyRequest
  readonly reply: FastifyReply
  /** The JSON body as an object ({} when empty); 400 with `reason` when it is not JSON. */
  body(reason?: unknown): Record<string, unknown>
  /** Undoes what the request created or changed if the disk refuses to store it (the request then fails). */
  notStored(undo: () => void): void
}

/** Returns the JSON to send (200), or undefined for 204 (or the status the handler set, e.g. 201). */
export type Handler = (c: Call) => unknown

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE'

export interface RouteOptions {
  /** The Content-Type must be application/json even without a body (RabbitMQ's definitions import). */
  readonly jsonOnly?: boolean
}

export interface Routes {
  add(method: Method, url: string, level: Level, handler: Handler, opts?: RouteOptions): void
}

/** The parsed body of a request whose body a cross-site form could have sent: refused once the caller is known. */
const NOT_JSON = Symbol('not JSON')
/** Content types a page may send to another site without a CORS preflight (a form, or text/plain). */
const CROSS_SITE_TYPES = /^\s*(text\/plain|application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i

export function createServer(ctx: ManagementContext): { app: FastifyInstance; routes: Routes } {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, routerOptions: { ignoreTrailingSlash: true } })
  app.removeAllContentTypeParsers()
  // Read as text so that invalid JSON gets the route's own 400 reason (see parseBody).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  // Other bodies are read as JSON too (clients do not always say what they send), except the types a
  // cross-site page can send without a CORS preflight: refused with 415, after authentication as in RabbitMQ.
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) =>
    done(
      null,
      body === '' ? undefined : CROSS_SITE_TYPES.test(req.headers['content-type'] ?? '') ? NOT_JSON : body,
    ),
  )
  app.setNotFoundHandler((_req, reply) => sendError(reply, notFound()))
  app.setErrorHandler((err, _req, reply) => sendError(reply, toHttpError(ctx, err)))
  const routes: Routes = {
    add(method, url, level, handler, opts = {}) {
      app.route({
        method,
        url,
        handler: async (req, reply) => {
          const user = authenticate(ctx, { headers: req.headers, ip: req.ip }, level)
          if (method !== 'GET') checkContentType(req, opts)
          const undos: Array<() => void> = []
          const call = makeCall(ctx, user, req, reply, undos)
          const result = await handler(call)
          // Like a declare over AMQP, a change over HTTP is answered once it is on disk.
          if (method !== 'GET') {
            await ctx.durableSettled().catch((err: unknown) => {
              for (const undo of undos) undo()
              throw err
            })
          }
          if (reply.sent) return reply
          if (result === undefined)
            return reply.code(reply.statusCode === 200 ? 204 : reply.statusCode).send()
          return reply.type('application/json').send(JSON.stringify(result))
        },
      })
    },
  }
  return { app, routes }
}

function makeCall(
  ctx: ManagementContext,
  user: User,
  req: FastifyRequest,
  reply: FastifyReply,
  undos: Array<() => void>,
): Call {
  return {
    ctx,
    user,
    params: req.params as Record<string, string>,
    query: req.query as Query,
    req,
    reply,
    body: (reason = 'not_json') => parseBody(req.body, reason),
    notStored: (undo) => undos.push(undo),
  }
}

function checkContentType(req: FastifyRequest, opts: RouteOptions): void {
  const json = /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')
  if (req.body === NOT_JSON || (opts.jsonOnly === true && !json)) {
    throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json')
  }
}

function parseBody(raw: unknown, reason: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return {}
  if (typeof raw !== 'string') return raw as Record<string, unknown>
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw badRequest(reason)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest(reason)
  return parsed as Record<string, unknown>
}

function toHttpError(ctx: ManagementContext, err: unknown): HttpError {
  if (err instanceof HttpError) return err
  // A full disk is the server's trouble, and passes: 503 says "try again later".
  if (err instanceof NoSpaceError) return new HttpError(503, 'service_unavailable', err.message)
  if (err instanceof BrokerError) return fromBrokerError(err)
  const status = (err as { statusCode?: number }).statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, 'bad_request', (err as Error).message)
  }
  ctx.logger?.error({ err }, 'management API request failed')
  return new HttpError(500, 'internal_server_error', err instanceof Error ? err.message : String(err))
}

function sendError(reply: FastifyReply, e: HttpError): FastifyReply {
  reply.code(e.status).headers(e.headers)
  // An unauthenticated request gets RabbitMQ's empty 401 with the realm header only.
  if (e.error === '') return reply.send()
  return reply.type('application/json').send(JSON.stringify(e.body))
}
