// Super streams: a direct exchange (marked x-super-stream) with N partition streams bound to it by
// routing key, each binding carrying its partition's place (x-stream-partition-order). Create and delete
// them whole, route a key to its partitions, list the partitions in order.
import { NotFoundError, TypedValue } from '../shared/index.js'
import type { Binding, Exchange } from '../core/index.js'
import { CODE, KEY } from './constants.js'
import type { StreamConnection } from './connection.js'
import type { FrameReader } from './frame-reader.js'
import { response } from './frame-writer.js'
import type { Ctx } from './handlers.js'
import { createStream, deleteStream, streamArgs } from './streams.js'

const ORDER = 'x-stream-partition-order'

function superStream(c: StreamConnection, name: string): Exchange {
  const ex = c.vhost?.exchanges.get(name)
  if (!ex) throw new NotFoundError(`super stream '${name}' does not exist`)
  return ex
}

/** The partition bindings of a super stream, in partition order. */
function partitionBindings(ex: Exchange): Binding[] {
  return ex.bindings.filter((b) => b.destination.kind === 'queue').sort((a, b) => orderOf(a) - orderOf(b))
}

/** A binding's partition order: a number, or digits in a string (as the HTTP API's JSON gives it). */
function orderOf(b: Binding): number {
  const v = b.args[ORDER]
  if (v instanceof TypedValue) return Number(v.value)
  if (typeof v === 'number') return v
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0
}

/** A partition's place in its super stream (0 when the super stream or the binding is not found). */
export function partitionIndex(c: StreamConnection, superStream: string, partition: string): number {
  const ex = c.vhost?.exchanges.get(superStream)
  const b = ex && partitionBindings(ex).find((x) => x.destination.name === partition)
  return b ? orderOf(b) : 0
}

export function onCreateSuperStream(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const name = r.string()
  const partitions = r.strings()
  const keys = r.strings()
  const args = streamArgs(r.map())
  const session = c.session
  const vhost = c.vhost
  if (!session || !vhost) return
  // As RabbitMQ: a super stream needs a name and partitions with names, one binding key each.
  const named = name !== '' && partitions.every((p) => p !== '')
  if (!named || partitions.length === 0 || partitions.length !== keys.length) {
    return c.respond(KEY.createSuperStream, ctx.correlationId, CODE.preconditionFailed)
  }
  if (vhost.exchanges.has(name) || partitions.some((p) => vhost.queues.has(p))) {
    return c.respond(KEY.createSuperStream, ctx.correlationId, CODE.streamAlreadyExists)
  }
  session.declareExchange({
    name,
    type: 'direct',
    passive: false,
    durable: true,
    autoDelete: false,
    internal: false,
    args: { 'x-super-stream': true },
  })
  partitions.forEach((p, i) => {
    createStream(c, p, args)
    session.bindQueue(p, name, keys[i] as string, { [ORDER]: i }, c.id)
  })
  c.respond(KEY.createSuperStream, ctx.correlationId, CODE.ok)
}

export function onDeleteSuperStream(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const name = r.string()
  const ex = superStream(c, name)
  for (const b of partitionBindings(ex)) {
    if (c.vhost?.queues.has(b.destination.name)) deleteStream(c, b.destination.name)
  }
  c.session?.deleteExchange(name, false)
  c.respond(KEY.deleteSuperStream, ctx.correlationId, CODE.ok)
}

export function onRoute(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const key = r.string()
  const ex = superStream(c, r.string())
  const streams = partitionBindings(ex)
    .filter((b) => b.routingKey === key)
    .map((b) => b.destination.name)
  c.send(response(KEY.route, ctx.correlationId, CODE.ok).strings(streams).frame())
}

export function onPartitions(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const ex = superStream(c, r.string())
  const streams = partitionBindings(ex).map((b) => b.destination.name)
  c.send(response(KEY.partitions, ctx.correlationId, CODE.ok).strings(streams).frame())
}
