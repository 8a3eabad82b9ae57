// /api/queues: list, declare (PUT), delete, purge (DELETE .../contents), their bindings, and getting
// messages over HTTP (POST .../get), which takes messages in ack mode and then acks, requeues or
// rejects them all as `ackmode` says, exactly as a basic.get client would.
import { type Queue, type QueueEntry, StreamQueue, type StreamRead, type VHost } from '../../core/index.js'
import { type FieldValue, Timestamp } from '../../shared/index.js'
import { listedVhosts, requireVhostAccess } from '../auth.js'
import { type ConnectionView, type ManagementContext, openConnections } from '../context.js'
import { bindingView, defaultBinding, formatBinding, formatQueue } from '../format/objects.js'
import { badRequest, HttpError, keyMissing, notFound, orHttp } from '../http-errors.js'
import { formatPayload } from '../format/payload.js'
import { jsonBool, jsonToField, jsonToTable, propertiesToJson } from '../json.js'
import { type Item, type Query, replyItem, replyLazyList, replyList } from '../listing.js'
import type { Call, Routes } from '../server.js'
import { checkDirectConnection, httpSession } from '../session.js'
import { queueConsumers } from './connections.js'
import { vhostForRead, vhostForWrite } from './exchanges.js'
import { sampled } from '../format/samples.js'

/** Connections by id, to show the owners of exclusive queues. */
function owners(ctx: ManagementContext): Map<number, ConnectionView> {
  const out = new Map<number, ConnectionView>()
  for (const c of openConnections(ctx)) out.set(c.id, c)
  return out
}

function queueOf(v: VHost, name: string | undefined): Queue {
  const q = v.queues.get(name ?? '')
  if (!q) throw notFound()
  return q
}

function listQueues(ctx: ManagementContext, vhosts: VHost[], query: Query): unknown {
  const byId = owners(ctx)
  const queues = vhosts.flatMap((v) => [...v.queues.values()])
  return replyLazyList(queues, (q) => sampled(ctx, query, [q], formatQueue(ctx, q, byId)), query, {
    paginate: true,
  })
}

export function registerQueueRoutes(routes: Routes): void {
  routes.add('GET', '/api/queues', 'management', ({ ctx, user, query }) =>
    listQueues(ctx, listedVhosts(ctx, user), query),
  )
  routes.add('GET', '/api/queues/:vhost', 'management', (c) => listQueues(c.ctx, [vhostForRead(c)], c.query))
  routes.add('GET', '/api/queues/:vhost/:name', 'management', (c) => {
    const v = vhostForRead(c)
    const q = queueOf(v, c.params['name'])
    const item = sampled(c.ctx, c.query, [q], formatQueue(c.ctx, q, owners(c.ctx)))
    const details = {
      consumer_details: queueConsumers(c.ctx, v.name, q.name),
      deliveries: [],
      incoming: [],
    }
    return replyItem({ ...details, ...item }, c.query)
  })
  routes.add('PUT', '/api/queues/:vhost/:name', 'management', (c) => declareQueue(c))
  routes.add('DELETE', '/api/queues/:vhost/:name', 'management', (c) => {
    const v = vhostForWrite(c)
    const q = queueOf(v, c.params['name'])
    const [ifUnused, ifEmpty] = [c.query['if-unused'] === 'true', c.query['if-empty'] === 'true']
    orHttp(() => httpSession(c, v).deleteQueue(q.name, -1, ifUnused, ifEmpty))
  })
  routes.add('DELETE', '/api/queues/:vhost/:name/contents', 'management', (c) => {
    const v = vhostForWrite(c)
    const q = queueOf(v, c.params['name'])
    orHttp(() => httpSession(c, v).purge(q.name, -1))
  })
  routes.add('GET', '/api/queues/:vhost/:name/bindings', 'management', (c) => {
    const q = queueOf(vhostForRead(c), c.params['name'])
    const list = [defaultBinding(q), ...q.incoming.map(bindingView)]
    return replyList(list.map(formatBinding), c.query)
  })
  routes.add('POST', '/api/queues/:vhost/:name/get', 'management', (c) => getMessages(c))
  routes.add('POST', '/api/queues/:vhost/:name/read', 'management', (c) => readStream(c))
}

/**
 * Warren's look into a stream (RabbitMQ's API has none: its get is refused on streams): up to `count`
 * messages from `offset` (any x-stream-offset value, `first` by default), each with its offset and its
 * chunk's time. Needs read permission, as a consumer does; nothing is removed or marked.
 */
/** An x-stream-offset value from JSON: a date-time string is a timestamp (JSON has no AMQP timestamp). */
function streamOffset(v: unknown): FieldValue | undefined {
  if (v === undefined) return undefined
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\d/.test(v) && !Number.isNaN(Date.parse(v)))
    return new Timestamp(Math.floor(Date.parse(v) / 1000))
  return jsonToField(v)
}

async function readStream(c: Call): Promise<Item[]> {
  const v = vhostForRead(c)
  const body = c.body()
  const q = queueOf(v, c.params['name'])
  checkDirectConnection(c, v)
  orHttp(() => httpSession(c, v).queueToConsume(q.name, -1))
  if (!(q instanceof StreamQueue))
    throw badRequest(`queue '${q.name}' in vhost '${v.name}' is not a stream: use .../get to take messages`)
  const count = body['count'] === undefined ? 10 : Number(body['count'])
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    throw badRequest('count must be an integer from 1 to 1000')
  const encoding = body['encoding'] ?? 'auto'
  if (encoding !== 'auto' && encoding !== 'base64')
    throw badRequest('Unsupported encoding. Please use auto or base64.')
  const truncate = body['truncate'] === undefined ? undefined : Number(body['truncate'])
  let read: StreamRead[]
  try {
    read = await q.read(streamOffset(body['offset']), count)
  } catch (err) {
    return orHttp(() => {
      throw err
    })
  }
  return read.map(({ offset: at, timestamp, message: m }) => ({
    offset: at,
    timestamp: new Date(timestamp).toISOString(),
    exchange: m.exchange,
    routing_key: m.routingKey,
    properties: propertiesToJson(m.properties),
    ...formatPayload(m.body, encoding, truncate),
  }))
}

function declareQueue(c: Call): void {
  const v = vhostForWrite(c)
  const name = c.params['name'] ?? ''
  const body = c.body()
  const { queue: q, created } = orHttp(() =>
    httpSession(c, v).declareQueue(
      {
        name,
        passive: false,
        durable: jsonBool(body['durable'], false),
        exclusiveOwner: undefined,
        autoDelete: jsonBool(body['auto_delete'], false),
        args: jsonToTable(body['arguments']),
      },
      -1,
    ),
  )
  if (!created) return
  c.reply.code(201)
  if (q.durable) c.notStored(() => v.removeQueue(q))
}

const ACK_MODES = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false']

async function getMessages(c: Call): Promise<Item[]> {
  const vhostName = c.params['vhost'] as string
  requireVhostAccess(c.ctx, c.user, vhostName)
  const v = c.ctx.broker.vhosts.get(vhostName)
  if (!v) throw notFound()
  const body = c.body()
  for (const k of ['count', 'ackmode', 'encoding']) if (body[k] === undefined) throw keyMissing(k)
  const name = c.params['name'] ?? ''
  if (!v.queues.has(name))
    throw new HttpError(404, 'not_found', `NOT_FOUND - no queue '${name}' in vhost '${v.name}'`)
  checkDirectConnection(c, v)
  const session = httpSession(c, v)
  const q = orHttp(() => session.queueToConsume(name, -1))
  const { ackmode, encoding } = body
  if (encoding !== 'auto' && encoding !== 'base64')
    throw badRequest('Unsupported encoding. Please use auto or base64.')
  if (typeof ackmode !== 'string' || !ACK_MODES.includes(ackmode))
    throw badRequest(`Unsupported ackmode '${String(ackmode)}'`)
  const count = Number(body['count'])
  const truncate = body['truncate'] === undefined ? undefined : Number(body['truncate'])
  if (!Number.isInteger(count) || count < 0) throw badRequest('count must be a non-negative integer')
  const taken: QueueEntry[] = []
  const out: Item[] = []
  const waits: Array<Promise<void>> = []
  for (let i = 0; i < count; i++) {
    const got = q.get(false)
    if (!got) break
    taken.push(got.entry)
    if (got.wait) waits.push(got.wait)
    out.push(formatMessage(got.entry, q.readyCount, encoding, truncate))
    // RabbitMQ gets them with basic.get as the caller: traced (and counted) as a get.
    session.delivered(q, got.entry, false, true)
  }
  if (ackmode.endsWith('requeue_true')) q.requeue(taken)
  else if (ackmode === 'ack_requeue_false') for (const e of taken) q.settle(e)
  else q.discard(taken)
  // The messages leave the broker in the reply: not before their delivered-marks are safe.
  await Promise.all(waits)
  return out
}

function formatMessage(
  e: QueueEntry,
  remaining: number,
  encoding: string,
  truncate: number | undefined,
): Item {
  const m = e.message
  const { payload_bytes, payload, payload_encoding } = formatPayload(m.body, encoding, truncate)
  return {
    payload_bytes,
    redelivered: e.redelivered,
    exchange: m.exchange,
    routing_key: m.routingKey,
    message_count: remaining,
    properties: propertiesToJson(m.properties),
    payload,
    payload_encoding,
  }
}
