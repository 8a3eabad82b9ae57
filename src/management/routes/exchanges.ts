// /api/exchanges: list, declare (PUT), delete, their bindings, and publishing a message over HTTP.
import { type Exchange, Message, type VHost } from '../../core/index.js'
import { checkDirectConnection, httpSession } from '../session.js'
import { BrokerError } from '../../shared/index.js'
import { checkResource, listedVhosts, requireVhostAccess } from '../auth.js'
import { bindingView, exchangeUrlName, formatBinding, formatExchange } from '../format/objects.js'
import { accessRefused, badRequest, HttpError, keyMissing, notFound, orHttp } from '../http-errors.js'
import { jsonBool, jsonToProperties, jsonToTable } from '../json.js'
import { type Item, replyItem, replyLazyList, replyList } from '../listing.js'
import type { Call, Routes } from '../server.js'
import { sampled } from '../format/samples.js'

/** The vhost named in the URL (404 when missing), after the access check: permissions there, or administrator. */
export function vhostForRead(c: Call): VHost {
  const name = c.params['vhost'] as string
  requireVhostAccess(c.ctx, c.user, name)
  const v = c.ctx.broker.vhosts.get(name)
  if (!v) throw notFound()
  return v
}

/** The vhost for a change: RabbitMQ answers a missing one with not_found/vhost_not_found. */
export function vhostForWrite(c: Call): VHost {
  const name = c.params['vhost'] as string
  requireVhostAccess(c.ctx, c.user, name)
  const v = c.ctx.broker.vhosts.get(name)
  if (!v) throw new HttpError(404, 'not_found', 'vhost_not_found')
  return v
}

function exchangeOf(v: VHost, urlName: string | undefined): Exchange {
  const ex = v.exchanges.get(exchangeUrlName(urlName ?? ''))
  if (!ex) throw notFound()
  return ex
}

export function registerExchangeRoutes(routes: Routes): void {
  routes.add('GET', '/api/exchanges', 'management', ({ ctx, user, query }) => {
    const exchanges = listedVhosts(ctx, user).flatMap((v) => [...v.exchanges.values()])
    return replyLazyList(exchanges, (ex) => sampled(ctx, query, [ex], formatExchange(ctx, ex)), query, {
      paginate: true,
    })
  })
  routes.add('GET', '/api/exchanges/:vhost', 'management', (c) => {
    const exchanges = [...vhostForRead(c).exchanges.values()]
    const format = (ex: Exchange): Item => sampled(c.ctx, c.query, [ex], formatExchange(c.ctx, ex))
    return replyLazyList(exchanges, format, c.query, { paginate: true })
  })
  routes.add('GET', '/api/exchanges/:vhost/:name', 'management', (c) => {
    const ex = exchangeOf(vhostForRead(c), c.params['name'])
    const item = sampled(c.ctx, c.query, [ex], formatExchange(c.ctx, ex))
    return replyItem({ ...item, incoming: [], outgoing: [] }, c.query)
  })
  routes.add('PUT', '/api/exchanges/:vhost/:name', 'management', (c) => declareExchange(c))
  routes.add('DELETE', '/api/exchanges/:vhost/:name', 'management', (c) => {
    const v = vhostForWrite(c)
    const ex = exchangeOf(v, c.params['name'])
    orHttp(() => httpSession(c, v).deleteExchange(ex.name, c.query['if-unused'] === 'true'))
  })
  routes.add('GET', '/api/exchanges/:vhost/:name/bindings/source', 'management', (c) => {
    const ex = exchangeOf(vhostForRead(c), c.params['name'])
    return replyList(
      ex.bindings.map((b) => formatBinding(bindingView(b))),
      c.query,
    )
  })
  routes.add('GET', '/api/exchanges/:vhost/:name/bindings/destination', 'management', (c) => {
    const ex = exchangeOf(vhostForRead(c), c.params['name'])
    return replyList(
      ex.incoming.map((b) => formatBinding(bindingView(b))),
      c.query,
    )
  })
  routes.add('POST', '/api/exchanges/:vhost/:name/publish', 'management', (c) => publish(c))
}

function declareExchange(c: Call): void {
  const v = vhostForWrite(c)
  const name = exchangeUrlName(c.params['name'] ?? '')
  const session = httpSession(c, v)
  session.permit('configure', 'exchange', name)
  if (name === '') throw accessRefused()
  const body = c.body()
  const type = typeof body['type'] === 'string' ? body['type'] : 'direct'
  if (!c.ctx.broker.exchangeTypes.has(type)) throw badRequest(`unknown exchange type '${type}'`)
  const { exchange: ex, created } = orHttp(() =>
    session.declareExchange({
      name,
      type,
      passive: false,
      durable: jsonBool(body['durable'], false),
      autoDelete: jsonBool(body['auto_delete'], false),
      internal: jsonBool(body['internal'], false),
      args: jsonToTable(body['arguments']),
    }),
  )
  if (!created) return
  c.reply.code(201)
  if (ex.durable) c.notStored(() => v.deleteExchange(ex.name, false))
}

const PUBLISH_KEYS = ['properties', 'routing_key', 'payload', 'payload_encoding']

function publish(c: Call): { routed: boolean } {
  const vhostName = c.params['vhost'] as string
  requireVhostAccess(c.ctx, c.user, vhostName)
  const v = c.ctx.broker.vhosts.get(vhostName)
  if (!v) throw notFound()
  const body = c.body()
  for (const k of PUBLISH_KEYS) if (body[k] === undefined) throw keyMissing(k)
  checkDirectConnection(c, v)
  const ex = v.exchanges.get(exchangeUrlName(c.params['name'] ?? ''))
  if (!ex) throw badRequest(`404 NOT_FOUND - no exchange '${c.params['name']}' in vhost '${v.name}'`)
  checkResource(c.ctx, c.user, v.name, 'write', 'exchange', ex.name)
  const payload = decodePayload(body['payload'], body['payload_encoding'])
  const properties = jsonToProperties(body['properties'])
  // The checks, routing, counters and tracing of an AMQP publish, from the same session code.
  const session = httpSession(c, v)
  try {
    session.exchangeForPublish(ex.name, String(body['routing_key']))
    session.checkSize(payload.length)
    session.validate(properties)
  } catch (err) {
    if (err instanceof BrokerError) throw badRequest(`${err.replyCode} ${err.replyText}`)
    throw err
  }
  const msg = new Message(
    ex.name,
    String(body['routing_key']),
    properties,
    payload,
    undefined,
    c.ctx.clock.now(),
  )
  // As in RabbitMQ, the API publishes with mandatory set: an unroutable message is counted as returned.
  return { routed: session.publish(ex, msg, true, false).queues > 0 }
}

function decodePayload(payload: unknown, encoding: unknown): Buffer {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload)
  if (encoding === 'string') return Buffer.from(text, 'utf8')
  if (encoding === 'base64') return Buffer.from(text, 'base64')
  throw badRequest(['unsupported_encoding', encoding])
}
