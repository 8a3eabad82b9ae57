// What a stream holds of a Stream-protocol publish: the published AMQP 1.0 messages as they came, each as
// osiris's simple entry (a uint32 size, then the message), back to back, as one encoded batch. That is
// the data of an osiris chunk, so a consumer gets it with no work per message (osiris-chunk.ts); the
// messages are decoded only when something needs Warren's form of them (an AMQP 0-9-1 consumer, the
// management API), through decodeBatch, which boot registers with the stream queue type.
import type { EncodedBatch, PersistedMessage } from '../core/index.js'
import { KEY } from './constants.js'
import { MalformedFrameError } from './frame-reader.js'
import { decodeAmqp10 } from './message-mapping.js'

/** osiris counts a chunk's entries in 16 bits: a publish frame with more is stored the slow way. */
export const MAX_BATCH = 0xffff
/** Shorter copies are done byte by byte: cheaper than a native call. */
const SHORT_COPY = 48

/** Where each entry of a batch's data ends. */
export function entryEnds(data: Buffer): number[] {
  const ends: number[] = []
  for (let p = 0; p + 4 <= data.length;) {
    p += 4 + data.readUInt32BE(p)
    ends.push(p)
  }
  return ends
}

/** A batch of these messages (each an AMQP 1.0 message, or whatever the client sent). */
export function encodeBatch(messages: readonly Buffer[]): EncodedBatch {
  const data = Buffer.allocUnsafe(messages.reduce((n, m) => n + 4 + m.length, 0))
  let p = 0
  for (const m of messages) {
    p = data.writeUInt32BE(m.length, p)
    p += m.copy(data, p)
  }
  return { data, count: messages.length }
}

/** The messages of a batch as a stream holds them in Warren's form. */
export function decodeBatch(batch: EncodedBatch, stream: string): PersistedMessage[] {
  const out: PersistedMessage[] = []
  const data = batch.data
  for (let p = 0; p + 4 <= data.length && out.length < batch.count;) {
    const end = p + 4 + data.readUInt32BE(p)
    // Its own copy, so that a message kept by a consumer does not pin the read buffer.
    out.push(decodeOrOpaque(Buffer.from(data.subarray(p + 4, end)), stream))
    p = end
  }
  return out
}

/** A message that is not AMQP 1.0 is kept as it came, as its body (RabbitMQ stores it unread). */
export function decodeOrOpaque(bytes: Buffer, stream: string): PersistedMessage {
  try {
    return decodeAmqp10(bytes, stream)
  } catch (err) {
    if (!(err instanceof MalformedFrameError)) throw err
    return { exchange: '', routingKey: stream, properties: {}, body: bytes }
  }
}

/** A publish frame taken whole: its batch, and the confirm frame to send once it is fsynced. */
export interface TakenPublish {
  readonly batch: EncodedBatch
  readonly confirm: Buffer
}

/**
 * The common publish frame in two passes over its bytes, no allocation per message: `n` messages from
 * buf[at], each a publishing id, (version 2) a filter value, and a simple entry no larger than
 * `maxSize`. The entries are moved together in place, over the ids (which go into the confirm frame), so
 * the batch is a view of the frame: no copy into a new buffer. Anything else (sub-entry batches, a
 * message too large, a frame cut short) returns undefined with the frame untouched, for the general path
 * to read and answer.
 */
export function takePublish(
  buf: Buffer,
  at: number,
  n: number,
  publisherId: number,
  filters: boolean,
  maxSize: number,
): TakenPublish | undefined {
  if (!measure(buf, at, n, filters, maxSize)) return undefined
  const confirm = Buffer.allocUnsafe(4 + 2 + 2 + 1 + 4 + 8 * n)
  confirm.writeUInt32BE(confirm.length - 4, 0)
  confirm.writeUInt16BE(KEY.publishConfirm, 4)
  confirm.writeUInt16BE(1, 6)
  confirm.writeUInt8(publisherId, 8)
  confirm.writeInt32BE(n, 9)
  let p = at
  let d = at
  let q = 13
  for (let i = 0; i < n; i++) {
    confirm.writeUInt32BE(buf.readUInt32BE(p), q)
    confirm.writeUInt32BE(buf.readUInt32BE(p + 4), q + 4)
    q += 8
    p += 8
    if (filters) p += 2 + Math.max(0, buf.readInt16BE(p))
    const end = p + 4 + buf.readInt32BE(p)
    d = moveLeft(buf, p, end, d)
    p = end
  }
  return { batch: { data: buf.subarray(at, d), count: n }, confirm }
}

/** Whether the frame is the common kind: every message a simple entry within bounds. */
function measure(buf: Buffer, at: number, n: number, filters: boolean, maxSize: number): boolean {
  let p = at
  for (let i = 0; i < n; i++) {
    p += 8
    if (filters) {
      if (p + 2 > buf.length) return false
      p += 2 + Math.max(0, buf.readInt16BE(p))
    }
    if (p + 4 > buf.length) return false
    const size = buf.readInt32BE(p)
    if (size < 0 || size > maxSize || p + 4 + size > buf.length) return false
    p += 4 + size
  }
  return true
}

/** Moves buf[from, to) to buf[at] (at <= from); returns where the moved bytes end. */
function moveLeft(buf: Buffer, from: number, to: number, at: number): number {
  if (at === from) return to
  if (to - from > SHORT_COPY) {
    buf.copyWithin(at, from, to)
    return at + (to - from)
  }
  for (let i = from; i < to; i++) buf[at++] = buf[i] as number
  return at
}

/** The publishing ids a confirm frame built by takePublish carries. */
export function confirmedIds(confirm: Buffer): number[] {
  const ids: number[] = []
  for (let q = 13; q + 8 <= confirm.length; q += 8) {
    ids.push(confirm.readUInt32BE(q) * 2 ** 32 + confirm.readUInt32BE(q + 4))
  }
  return ids
}
