// Super streams: a direct exchange (marked x-super-stream) with N partition streams bound to it by
// routing key, each binding carrying its partition's place (x-stream-partition-order). Create and delete
// them whole, route a key to its partitions, list the partitions in order.
import { NotFoundError } from '../shared/index.js'
import {
  declareSuperStream,
  deleteSuperStream,
  type Exchange,
  partitionBindings,
  partitionOrder,
  superStreamExchange,
} from '../core/index.js'
import { CODE, KEY } from './constants.js'
import type { StreamConnection } from './connection.js'
import type { FrameReader } from './frame-reader.js'
import { response } from './frame-writer.js'
import type { Ctx } from './handlers.js'
import { streamArgs } from './streams.js'

function superStream(c: StreamConnection, name: string): Exchange {
  if (!c.vhost) throw new NotFoundError(`super stream '${name}' does not exist`)
  return superStreamExchange(c.vhost, name)
}

/** A partition's place in its super stream (0 when the super stream or the binding is not found). */
export function partitionIndex(c: StreamConnection, superStream: string, partition: string): number {
  const ex = c.vhost?.exchanges.get(superStream)
  const b = ex && partitionBindings(ex).find((x) => x.destination.name === partition)
  return b ? partitionOrder(b) : 0
}

export function onCreateSuperStream(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const name = r.string()
  const partitions = r.strings()
  const bindingKeys = r.strings()
  const args = streamArgs(r.map())
  const session = c.session
  const vhost = c.vhost
  if (!session || !vhost) return
  // As RabbitMQ: a super stream needs a name and partitions with names, one binding key each.
  const named = name !== '' && partitions.every((p) => p !== '')
  if (!named || partitions.length === 0 || partitions.length !== bindingKeys.length) {
    return c.respond(KEY.createSuperStream, ctx.correlationId, CODE.preconditionFailed)
  }
  if (vhost.exchanges.has(name) || partitions.some((p) => vhost.queues.has(p))) {
    return c.respond(KEY.createSuperStream, ctx.correlationId, CODE.streamAlreadyExists)
  }
  declareSuperStream(session, vhost, { name, partitions, bindingKeys, args }, c.id)
  c.respond(KEY.createSuperStream, ctx.correlationId, CODE.ok)
}

export function onDeleteSuperStream(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const name = r.string()
  const session = c.session
  if (!session || !c.vhost) return
  deleteSuperStream(session, c.vhost, name, c.id)
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
