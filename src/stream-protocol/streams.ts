// Stream commands: create, delete, metadata (and the metadata updates clients get when a stream they
// use goes), stream stats. A stream is a stream queue of the connection's vhost, declared and deleted
// through the core's Session, so the same permissions and limits apply as over AMQP 0-9-1.
import { type FieldTable, NotFoundError, PreconditionFailedError } from '../shared/index.js'
import { type Queue, type StreamAccess, streamAccess } from '../core/index.js'
import { CODE, KEY } from './constants.js'
import type { StreamConnection } from './connection.js'
import type { FrameReader } from './frame-reader.js'
import { FrameWriter, response } from './frame-writer.js'
import type { Ctx } from './handlers.js'

export interface StreamRef {
  readonly name: string
  readonly queue: Queue
  readonly access: StreamAccess
}

/** The stream of this name in the connection's vhost (404, "stream does not exist", when none). */
export function streamOf(c: StreamConnection, name: string): StreamRef {
  const q = c.vhost?.queues.get(name)
  const access = q && !q.deleted ? streamAccess(q) : undefined
  if (!q || !access) throw new NotFoundError(`stream '${name}' does not exist`)
  return { name, queue: q, access }
}

/**
 * Tells this connection's client when a stream it publishes to or reads from is deleted (metadata
 * update, "stream not available"), and drops its publishers and subscriptions there. Once per stream.
 */
export function watchDeletion(c: StreamConnection, s: StreamRef): void {
  if (c.watchedStreams.has(s.access)) return
  c.watchedStreams.add(s.access)
  const watch = c.server.watch(s.access)
  const onDeleted = (): void => {
    c.watchedStreams.delete(s.access)
    let used = false
    for (const [id, p] of c.publishers) if (p.stream.access === s.access) used = c.publishers.delete(id)
    for (const [id, sub] of c.subscriptions) {
      if (sub.stream.access !== s.access) continue
      sub.close()
      used = c.subscriptions.delete(id)
    }
    if (used) c.send(new FrameWriter(KEY.metadataUpdate).u16(CODE.streamNotAvailable).string(s.name).frame())
  }
  watch.onDeleted.add(onDeleted)
  c.unwatch.push(() => watch.onDeleted.delete(onDeleted))
}

/** RabbitMQ's create takes string arguments: x-max-length-bytes, x-max-age, segment size, ... */
export function streamArgs(args: Map<string, string>): FieldTable {
  const t: FieldTable = { 'x-queue-type': 'stream' }
  for (const [k, v] of args) {
    const key = k.startsWith('x-') ? k : `x-${k}`
    const numeric = ['x-max-length-bytes', 'x-stream-max-segment-size-bytes', 'x-initial-cluster-size']
    t[key] = numeric.includes(key) && /^\d+$/.test(v) ? Number(v) : v
  }
  return t
}

/** Declares a new stream; "stream already exists" when there is one of that name. */
export function createStream(c: StreamConnection, name: string, args: FieldTable): void {
  const session = c.session
  if (!session) return
  if (c.vhost?.queues.has(name)) throw new StreamExistsError(`stream '${name}' already exists`)
  session.declareQueue(
    { name, passive: false, durable: true, exclusiveOwner: undefined, autoDelete: false, args },
    c.id,
  )
}

export class StreamExistsError extends PreconditionFailedError {}

export function onCreate(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const name = r.string()
  const args = streamArgs(r.map())
  try {
    createStream(c, name, args)
  } catch (err) {
    if (err instanceof StreamExistsError)
      return c.respond(KEY.create, ctx.correlationId, CODE.streamAlreadyExists)
    throw err
  }
  c.respond(KEY.create, ctx.correlationId, CODE.ok)
}

export function onDelete(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const name = r.string()
  deleteStream(c, name)
  c.respond(KEY.delete, ctx.correlationId, CODE.ok)
}

export function deleteStream(c: StreamConnection, name: string): void {
  streamOf(c, name)
  c.session?.deleteQueue(name, c.id, false, false)
}

/**
 * One broker (this node) leads every stream. As RabbitMQ, the brokers listed are those of the streams
 * found: none when no stream asked for exists. A missing stream has no leader (0xffff).
 */
export function onMetadata(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const names = r.strings()
  const found = names.map((name) => c.vhost?.queues.get(name)?.deleted === false && exists(c, name))
  const w = new FrameWriter(KEY.metadata | 0x8000, 1, 128).u32(ctx.correlationId)
  if (found.includes(true)) w.i32(1).u16(0).string(c.server.advertisedHost).u32(c.server.advertisedPort)
  else w.i32(0)
  w.i32(names.length)
  names.forEach((name, i) => {
    w.string(name).u16(found[i] ? CODE.ok : CODE.streamDoesNotExist)
    w.u16(found[i] ? 0 : 0xffff).i32(0) // leader reference, no replicas
  })
  c.send(w.frame())
}

function exists(c: StreamConnection, name: string): boolean {
  const q = c.vhost?.queues.get(name)
  return q !== undefined && streamAccess(q) !== undefined
}

/** Stream stats: first, last and committed chunk ids (first offsets of chunks), -1 when empty. */
export function onStreamStats(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const s = streamOf(c, r.string())
  c.session?.permit('read', 'queue', s.name)
  const log = s.access.log
  const empty = log.committedOffset <= log.firstOffset
  const send = (last: number): void => {
    const stats: Array<[string, number]> = [
      ['first_chunk_id', empty ? -1 : log.firstOffset],
      ['last_chunk_id', last],
      ['committed_chunk_id', last],
    ]
    const w = response(KEY.streamStats, ctx.correlationId, CODE.ok).i32(stats.length)
    for (const [k, v] of stats) w.string(k).i64(v)
    c.send(w.frame())
  }
  if (empty) return send(-1)
  log
    .resolveStart({ kind: 'last' })
    .then(send, () => c.respond(KEY.streamStats, ctx.correlationId, CODE.internalError))
}
