// The replication stream between a leader and a follower, over the cluster port. A frame is a 4-byte
// length (of what follows), a 1-byte type and the type's fields. The leader sends a snapshot (BEGIN, the
// definitions, every stored queue and its messages, END with checksums) and then the live operations, each
// of which counts as one sequence number; the follower answers ACK(seq) once it has applied and fsynced
// everything up to that operation. Message fields are those of the store's port, never AMQP frames.
import type { Hash } from 'node:crypto'
import { encodeBasicProperties, Writer } from '../protocol/index.js'
import type { PersistedMessage } from '../core/index.js'

export const FRAME_TYPE = {
  hello: 1,
  begin: 2,
  definitions: 3,
  open: 4,
  append: 5,
  delivered: 6,
  remove: 7,
  destroy: 8,
  end: 9,
  ack: 10,
  /** Leader to follower once a second: the follower answers with an ACK, each finds a dead link out. */
  heartbeat: 11,
} as const

/** Frames larger than this are a corrupt stream (a message is at most 512 MiB, as RabbitMQ's limit). */
export const MAX_FRAME = 600 * 1024 * 1024
const HEAD = 5

export interface AppendFields {
  store: number
  id: number
  expiresAt: number
  delivered: boolean
  exchange: string
  routingKey: string
  rawProperties: Buffer
  body: Buffer
}

export type Frame =
  | { type: typeof FRAME_TYPE.hello; node: string; cluster: string }
  | { type: typeof FRAME_TYPE.begin; leader: string; epoch: number }
  | { type: typeof FRAME_TYPE.definitions; json: string }
  | { type: typeof FRAME_TYPE.open; store: number; vhost: string; queue: string }
  | ({ type: typeof FRAME_TYPE.append } & AppendFields)
  | { type: typeof FRAME_TYPE.delivered; store: number; id: number }
  | { type: typeof FRAME_TYPE.remove; store: number; id: number }
  | { type: typeof FRAME_TYPE.destroy; store: number }
  | { type: typeof FRAME_TYPE.end; seq: number; checksums: Record<string, string> }
  | { type: typeof FRAME_TYPE.ack; seq: number }
  | { type: typeof FRAME_TYPE.heartbeat }

function frame(type: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(HEAD + size)
  buf.writeUInt32BE(size + 1, 0)
  buf.writeUInt8(type, 4)
  return buf
}

export function jsonFrame(
  type: typeof FRAME_TYPE.hello | typeof FRAME_TYPE.begin | typeof FRAME_TYPE.end,
  value: object,
): Buffer {
  return textFrame(type, JSON.stringify(value))
}

export function textFrame(type: number, text: string): Buffer {
  const size = Buffer.byteLength(text)
  const buf = frame(type, size)
  buf.write(text, HEAD)
  return buf
}

export function idFrame(type: number, store: number, id: number): Buffer {
  const buf = frame(type, 12)
  buf.writeUInt32BE(store, HEAD)
  buf.writeDoubleBE(id, HEAD + 4)
  return buf
}

export function storeFrame(type: number, store: number): Buffer {
  const buf = frame(type, 4)
  buf.writeUInt32BE(store, HEAD)
  return buf
}

export const HEARTBEAT = frame(FRAME_TYPE.heartbeat, 0)

/** Silence on a replication link for this long (ms) means it is dead, whatever TCP says. */
export const LINK_TIMEOUT = 4000

export function ackFrame(seq: number): Buffer {
  const buf = frame(FRAME_TYPE.ack, 8)
  buf.writeDoubleBE(seq, HEAD)
  return buf
}

export function openFrame(store: number, vhost: string, queue: string): Buffer {
  const v = Buffer.byteLength(vhost)
  const q = Buffer.byteLength(queue)
  const buf = frame(FRAME_TYPE.open, 8 + v + q)
  buf.writeUInt32BE(store, HEAD)
  buf.writeUInt16BE(v, HEAD + 4)
  buf.write(vhost, HEAD + 6)
  buf.writeUInt16BE(q, HEAD + 6 + v)
  buf.write(queue, HEAD + 8 + v)
  return buf
}

const propsWriter = new Writer(64 * 1024)

/** The properties as a content header carries them (flags word onwards), as the store keeps them. */
export function rawPropertiesOf(msg: PersistedMessage): Buffer {
  if (msg.rawProperties) return msg.rawProperties
  encodeBasicProperties(propsWriter, msg.properties)
  const parts = propsWriter.take()
  return parts.length === 1 ? Buffer.from(parts[0] as Buffer) : Buffer.concat(parts)
}

/**
 * An append as two buffers: the fields, and the body by reference (not copied), so that a large message
 * costs one small allocation on the leader.
 */
export function appendFrame(f: Omit<AppendFields, 'body'>, body: Buffer): [Buffer, Buffer] {
  const ex = Buffer.byteLength(f.exchange)
  const rk = Buffer.byteLength(f.routingKey)
  const fields = 4 + 8 + 8 + 1 + 2 + ex + 2 + rk + 4 + f.rawProperties.length
  const buf = frame(FRAME_TYPE.append, fields + body.length)
  let at = HEAD
  at = buf.writeUInt32BE(f.store, at)
  at = buf.writeDoubleBE(f.id, at)
  at = buf.writeDoubleBE(f.expiresAt, at)
  at = buf.writeUInt8(f.delivered ? 1 : 0, at)
  at = buf.writeUInt16BE(ex, at)
  at += buf.write(f.exchange, at)
  at = buf.writeUInt16BE(rk, at)
  at += buf.write(f.routingKey, at)
  at = buf.writeUInt32BE(f.rawProperties.length, at)
  f.rawProperties.copy(buf, at)
  return [buf.subarray(0, HEAD + fields), body]
}

/** Splits a byte stream into frames, whatever the chunking; throws on a corrupt stream. */
export class FrameReader {
  private pending: Buffer | undefined

  push(chunk: Buffer, onFrame: (f: Frame) => void): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk
    this.pending = undefined
    let at = 0
    while (buf.length - at >= 4) {
      const size = buf.readUInt32BE(at)
      if (size < 1 || size > MAX_FRAME) throw new Error(`replication frame of ${size} bytes`)
      if (buf.length - at - 4 < size) break
      onFrame(decodeFrame(buf.subarray(at + 4, at + 4 + size)))
      at += 4 + size
    }
    if (at < buf.length) {
      buf = buf.subarray(at)
      this.pending = Buffer.from(buf)
    }
  }
}

function decodeFrame(b: Buffer): Frame {
  const type = b.readUInt8(0)
  const text = (): string => b.toString('utf8', 1)
  switch (type) {
    case FRAME_TYPE.hello:
      return { type, ...(JSON.parse(text()) as { node: string; cluster: string }) }
    case FRAME_TYPE.begin:
      return { type, ...(JSON.parse(text()) as { leader: string; epoch: number }) }
    case FRAME_TYPE.end:
      return { type, ...(JSON.parse(text()) as { seq: number; checksums: Record<string, string> }) }
    case FRAME_TYPE.definitions:
      return { type, json: text() }
    case FRAME_TYPE.open: {
      const v = b.readUInt16BE(5)
      const q = b.readUInt16BE(7 + v)
      return {
        type,
        store: b.readUInt32BE(1),
        vhost: b.toString('utf8', 7, 7 + v),
        queue: b.toString('utf8', 9 + v, 9 + v + q),
      }
    }
    case FRAME_TYPE.append:
      return decodeAppend(b)
    case FRAME_TYPE.delivered:
    case FRAME_TYPE.remove:
      return { type, store: b.readUInt32BE(1), id: b.readDoubleBE(5) }
    case FRAME_TYPE.destroy:
      return { type, store: b.readUInt32BE(1) }
    case FRAME_TYPE.ack:
      return { type, seq: b.readDoubleBE(1) }
    case FRAME_TYPE.heartbeat:
      return { type }
    default:
      throw new Error(`unknown replication frame type ${type}`)
  }
}

function decodeAppend(b: Buffer): Frame {
  let at = 1
  const store = b.readUInt32BE(at)
  const id = b.readDoubleBE((at += 4))
  const expiresAt = b.readDoubleBE((at += 8))
  const delivered = b.readUInt8((at += 8)) === 1
  const ex = b.readUInt16BE((at += 1))
  const exchange = b.toString('utf8', (at += 2), (at += ex))
  const rk = b.readUInt16BE(at)
  const routingKey = b.toString('utf8', (at += 2), (at += rk))
  const props = b.readUInt32BE(at)
  // Copies: the frame's buffer is the socket's chunk, which must not be kept alive by stored messages.
  const rawProperties = Buffer.from(b.subarray((at += 4), (at += props)))
  const body = Buffer.from(b.subarray(at))
  return {
    type: FRAME_TYPE.append,
    store,
    id,
    expiresAt,
    delivered,
    exchange,
    routingKey,
    rawProperties,
    body,
  }
}

/** Adds one message to a snapshot checksum: both sides hash what they store, in order. */
export function hashMessage(hash: Hash, f: Omit<AppendFields, 'store' | 'id'>): void {
  const head = Buffer.allocUnsafe(9)
  head.writeDoubleBE(f.expiresAt, 0)
  head.writeUInt8(f.delivered ? 1 : 0, 8)
  hash.update(head)
  hash.update(f.exchange)
  hash.update('\u0000')
  hash.update(f.routingKey)
  hash.update('\u0000')
  hash.update(f.rawProperties)
  hash.update(f.body)
}
