// Publishing over the Stream protocol: declare publisher (with an optional publisher reference, which
// turns on server-side deduplication by publishing id), publish, confirms once the stream's log has
// fsynced the messages, publish errors, query publisher sequence, delete publisher.
import { countError } from './metrics.js'
import { gunzipSync } from 'node:zlib'
import type { EncodedBatch } from '../core/index.js'
import { confirmedIds, encodeBatch, MAX_BATCH, takePublish } from './batches.js'
import { CODE, KEY } from './constants.js'
import type { StreamConnection } from './connection.js'
import { FrameReader } from './frame-reader.js'
import { FrameWriter, response } from './frame-writer.js'
import type { Ctx } from './handlers.js'
import { type StreamRef, streamOf, watchDeletion } from './streams.js'

export interface Publisher {
  readonly id: number
  readonly stream: StreamRef
  /** The publisher reference: set, publishing ids at or below the last one taken are duplicates. */
  readonly reference: string | undefined
}

export function onDeclarePublisher(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const id = r.u8()
  const reference = r.optionalString()
  const name = r.string()
  if (c.publishers.has(id)) return c.respond(KEY.declarePublisher, ctx.correlationId, CODE.preconditionFailed)
  c.session?.permit('write', 'queue', name)
  const stream = streamOf(c, name)
  watchDeletion(c, stream)
  c.publishers.set(id, { id, stream, reference: reference === '' ? undefined : reference })
  c.respond(KEY.declarePublisher, ctx.correlationId, CODE.ok)
}

export function onDeletePublisher(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const id = r.u8()
  const code = c.publishers.delete(id) ? CODE.ok : CODE.publisherDoesNotExist
  c.respond(KEY.deletePublisher, ctx.correlationId, code)
}

export function onQueryPublisherSequence(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const reference = r.string()
  const stream = streamOf(c, r.string())
  const seq = c.server.tracking.sequence(stream.access.log, reference)
  c.send(response(KEY.queryPublisherSequence, ctx.correlationId, CODE.ok).u64(seq).frame())
}

/**
 * A publish frame: its messages are appended to the stream as one batch, as they came, except duplicates
 * (a named publisher's id at or below the last taken, confirmed at once without being written again, as
 * RabbitMQ does); the confirm of those appended follows the log's fsync. Errors go back per publishing id.
 */
export function onPublish(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const publisherId = r.u8()
  const n = r.count(12)
  const p = c.publishers.get(publisherId)
  if (p && p.reference === undefined && n > 0 && n <= MAX_BATCH && !p.stream.queue.deleted) {
    const maxSize = c.server.o.settings.maxMessageSize
    const taken = takePublish(r.frame, r.position, n, publisherId, ctx.version >= 2, maxSize)
    if (taken) return publishTaken(c, p, n, taken.batch, taken.confirm)
  }
  const taken: number[] = []
  const messages: Buffer[] = []
  const duplicates: number[] = []
  const errors: Array<[number, number]> = []
  for (let i = 0; i < n; i++) {
    const publishingId = r.u64()
    if (ctx.version >= 2) r.optionalString() // filter value
    const entries = readEntries(r, c.server.o.settings.maxMessageSize)
    const code = !p
      ? CODE.publisherDoesNotExist
      : typeof entries === 'number'
        ? entries
        : publishOne(c, p, publishingId, entries, messages)
    if (code === CODE.ok) taken.push(publishingId)
    else if (code === DUPLICATE) duplicates.push(publishingId)
    else errors.push([publishingId, code])
  }
  const counters = c.server.counters
  counters.received += n
  counters.receivedConfirm += n
  counters.confirmed += duplicates.length
  if (duplicates.length > 0) c.send(confirmFrame(publisherId, duplicates))
  if (errors.length > 0) c.send(errorFrame(c, publisherId, errors))
  if (taken.length === 0 || !p) return
  for (let i = 0; i < messages.length; i += MAX_BATCH) {
    p.stream.access.appendEncoded(encodeBatch(messages.slice(i, i + MAX_BATCH)))
  }
  const flushed = durable(c, p, taken).then(
    () => {
      counters.confirmed += taken.length
      c.send(confirmFrame(publisherId, taken))
    },
    () => c.send(errorFrame(c, publisherId, failedAll(taken))),
  )
  c.publishing(flushed)
}

/** The common frame (see takePublish): one batch appended, one confirm frame sent after the fsync. */
function publishTaken(
  c: StreamConnection,
  p: Publisher,
  n: number,
  batch: EncodedBatch,
  confirm: Buffer,
): void {
  const counters = c.server.counters
  counters.received += n
  counters.receivedConfirm += n
  p.stream.access.appendEncoded(batch)
  const flushed = p.stream.access.log.flush().then(
    () => {
      counters.confirmed += n
      c.send(confirm)
    },
    () => c.send(errorFrame(c, p.id, failedAll(confirmedIds(confirm)))),
  )
  c.publishing(flushed)
}

function failedAll(ids: readonly number[]): Array<[number, number]> {
  return ids.map((id): [number, number] => [id, CODE.internalError])
}

const DUPLICATE = -1

/**
 * Resolves once the messages are fsynced and, for a named publisher, its sequence saved after them: a
 * confirmed message is never written again by a resend, even after a crash.
 */
function durable(c: StreamConnection, p: Publisher, ids: readonly number[]): Promise<void> {
  const log = p.stream.access.log
  const reference = p.reference
  return log.flush().then(() => {
    if (reference === undefined) return undefined
    c.server.tracking.setWritten(
      log,
      reference,
      ids.reduce((a, b) => Math.max(a, b), 0),
    )
    return c.server.tracking.save(log)
  })
}

/**
 * The messages of one published entry: a simple entry (int32 size, then the message) or a sub-entry batch
 * (a type byte with the top bit set and the compression in bits 4-6, a count, the uncompressed and the
 * stored length, then simple entries, gzipped or not). Other compressions are refused (precondition
 * failed): a sub-entry batch is stored as its simple entries, uncompressed, so that any consumer (and the
 * AMQP 0-9-1 side) can read it.
 */
function readEntries(r: FrameReader, maxMessageSize: number): Buffer[] | number {
  if ((r.peekU8() & 0x80) === 0) return [r.bytes()]
  const type = r.u8()
  const count = r.u16()
  const uncompressed = r.u32()
  const data = r.raw(r.u32())
  const compression = (type & 0x70) >> 4
  if (compression > 1 || uncompressed > count * maxMessageSize + count * 4) return CODE.preconditionFailed
  let plain: Buffer
  try {
    plain = compression === 0 ? data : gunzipSync(data, { maxOutputLength: Math.max(1, uncompressed) })
  } catch {
    return CODE.preconditionFailed
  }
  const inner = new FrameReader(plain)
  const out: Buffer[] = []
  for (let i = 0; i < count; i++) out.push(inner.bytes())
  return out
}

/** Checks one published message; when taken, its entries join `messages` (appended as one batch). */
function publishOne(
  c: StreamConnection,
  p: Publisher,
  publishingId: number,
  entries: Buffer[],
  messages: Buffer[],
): number {
  const queue = p.stream.queue
  if (queue.deleted) return CODE.streamDoesNotExist
  const tracking = c.server.tracking
  const last = p.reference === undefined ? undefined : tracking.lastSequence(p.stream.access.log, p.reference)
  if (last !== undefined && publishingId <= last) return DUPLICATE
  if (entries.some((e) => e.length > c.server.o.settings.maxMessageSize)) return CODE.preconditionFailed
  messages.push(...entries)
  if (p.reference !== undefined) tracking.setSequence(p.stream.access.log, p.reference, publishingId)
  return CODE.ok
}

function confirmFrame(publisherId: number, ids: readonly number[]): Buffer {
  const w = new FrameWriter(KEY.publishConfirm, 1, 16 + ids.length * 8).u8(publisherId).i32(ids.length)
  for (const id of ids) w.u64(id)
  return w.frame()
}

function errorFrame(
  c: StreamConnection,
  publisherId: number,
  errors: ReadonlyArray<readonly [number, number]>,
): Buffer {
  for (const [, code] of errors) countError(c.server.counters, code)
  const w = new FrameWriter(KEY.publishError, 1, 16 + errors.length * 10).u8(publisherId).i32(errors.length)
  for (const [id, code] of errors) w.u64(id).u16(code)
  return w.frame()
}
