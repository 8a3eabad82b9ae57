// A small raw AMQP 0-9-1 client for tests that must send what a real client library never would:
// hand-built frames, wrong sizes, bad frame-end octets, methods on unopened channels, and so on.
// It has its own encoder/decoder (independent of Warren's codec) and exposes every frame it receives.
import net from 'node:net'

export type FieldType =
  'octet' | 'short' | 'long' | 'longlong' | 'shortstr' | 'longstr' | 'bit' | 'table' | 'timestamp'

export interface MethodDef {
  readonly classId: number
  readonly methodId: number
  readonly args: readonly (readonly [string, FieldType])[]
}

const S = 'shortstr'
const L = 'longstr'
const B = 'bit'
const T = 'table'

/** The AMQP 0-9-1 methods (plus RabbitMQ's extensions) with their argument lists, in wire order. */
export const METHODS: Readonly<Record<string, MethodDef>> = {
  'connection.start': {
    classId: 10,
    methodId: 10,
    args: [
      ['versionMajor', 'octet'],
      ['versionMinor', 'octet'],
      ['serverProperties', T],
      ['mechanisms', L],
      ['locales', L],
    ],
  },
  'connection.start-ok': {
    classId: 10,
    methodId: 11,
    args: [
      ['clientProperties', T],
      ['mechanism', S],
      ['response', L],
      ['locale', S],
    ],
  },
  'connection.secure': { classId: 10, methodId: 20, args: [['challenge', L]] },
  'connection.secure-ok': { classId: 10, methodId: 21, args: [['response', L]] },
  'connection.tune': {
    classId: 10,
    methodId: 30,
    args: [
      ['channelMax', 'short'],
      ['frameMax', 'long'],
      ['heartbeat', 'short'],
    ],
  },
  'connection.tune-ok': {
    classId: 10,
    methodId: 31,
    args: [
      ['channelMax', 'short'],
      ['frameMax', 'long'],
      ['heartbeat', 'short'],
    ],
  },
  'connection.open': {
    classId: 10,
    methodId: 40,
    args: [
      ['virtualHost', S],
      ['reserved1', S],
      ['reserved2', B],
    ],
  },
  'connection.open-ok': { classId: 10, methodId: 41, args: [['reserved1', S]] },
  'connection.close': {
    classId: 10,
    methodId: 50,
    args: [
      ['replyCode', 'short'],
      ['replyText', S],
      ['classId', 'short'],
      ['methodId', 'short'],
    ],
  },
  'connection.close-ok': { classId: 10, methodId: 51, args: [] },
  'connection.blocked': { classId: 10, methodId: 60, args: [['reason', S]] },
  'connection.unblocked': { classId: 10, methodId: 61, args: [] },
  'channel.open': { classId: 20, methodId: 10, args: [['reserved1', S]] },
  'channel.open-ok': { classId: 20, methodId: 11, args: [['reserved1', L]] },
  'channel.flow': { classId: 20, methodId: 20, args: [['active', B]] },
  'channel.flow-ok': { classId: 20, methodId: 21, args: [['active', B]] },
  'channel.close': {
    classId: 20,
    methodId: 40,
    args: [
      ['replyCode', 'short'],
      ['replyText', S],
      ['classId', 'short'],
      ['methodId', 'short'],
    ],
  },
  'channel.close-ok': { classId: 20, methodId: 41, args: [] },
  'exchange.declare': {
    classId: 40,
    methodId: 10,
    args: [
      ['reserved1', 'short'],
      ['exchange', S],
      ['type', S],
      ['passive', B],
      ['durable', B],
      ['autoDelete', B],
      ['internal', B],
      ['nowait', B],
      ['arguments', T],
    ],
  },
  'exchange.declare-ok': { classId: 40, methodId: 11, args: [] },
  'exchange.delete': {
    classId: 40,
    methodId: 20,
    args: [
      ['reserved1', 'short'],
      ['exchange', S],
      ['ifUnused', B],
      ['nowait', B],
    ],
  },
  'exchange.delete-ok': { classId: 40, methodId: 21, args: [] },
  'exchange.bind': {
    classId: 40,
    methodId: 30,
    args: [
      ['reserved1', 'short'],
      ['destination', S],
      ['source', S],
      ['routingKey', S],
      ['nowait', B],
      ['arguments', T],
    ],
  },
  'exchange.bind-ok': { classId: 40, methodId: 31, args: [] },
  'exchange.unbind': {
    classId: 40,
    methodId: 40,
    args: [
      ['reserved1', 'short'],
      ['destination', S],
      ['source', S],
      ['routingKey', S],
      ['nowait', B],
      ['arguments', T],
    ],
  },
  'exchange.unbind-ok': { classId: 40, methodId: 51, args: [] },
  'queue.declare': {
    classId: 50,
    methodId: 10,
    args: [
      ['reserved1', 'short'],
      ['queue', S],
      ['passive', B],
      ['durable', B],
      ['exclusive', B],
      ['autoDelete', B],
      ['nowait', B],
      ['arguments', T],
    ],
  },
  'queue.declare-ok': {
    classId: 50,
    methodId: 11,
    args: [
      ['queue', S],
      ['messageCount', 'long'],
      ['consumerCount', 'long'],
    ],
  },
  'queue.bind': {
    classId: 50,
    methodId: 20,
    args: [
      ['reserved1', 'short'],
      ['queue', S],
      ['exchange', S],
      ['routingKey', S],
      ['nowait', B],
      ['arguments', T],
    ],
  },
  'queue.bind-ok': { classId: 50, methodId: 21, args: [] },
  'queue.purge': {
    classId: 50,
    methodId: 30,
    args: [
      ['reserved1', 'short'],
      ['queue', S],
      ['nowait', B],
    ],
  },
  'queue.purge-ok': { classId: 50, methodId: 31, args: [['messageCount', 'long']] },
  'queue.delete': {
    classId: 50,
    methodId: 40,
    args: [
      ['reserved1', 'short'],
      ['queue', S],
      ['ifUnused', B],
      ['ifEmpty', B],
      ['nowait', B],
    ],
  },
  'queue.delete-ok': { classId: 50, methodId: 41, args: [['messageCount', 'long']] },
  'queue.unbind': {
    classId: 50,
    methodId: 50,
    args: [
      ['reserved1', 'short'],
      ['queue', S],
      ['exchange', S],
      ['routingKey', S],
      ['arguments', T],
    ],
  },
  'queue.unbind-ok': { classId: 50, methodId: 51, args: [] },
  'basic.qos': {
    classId: 60,
    methodId: 10,
    args: [
      ['prefetchSize', 'long'],
      ['prefetchCount', 'short'],
      ['global', B],
    ],
  },
  'basic.qos-ok': { classId: 60, methodId: 11, args: [] },
  'basic.consume': {
    classId: 60,
    methodId: 20,
    args: [
      ['reserved1', 'short'],
      ['queue', S],
      ['consumerTag', S],
      ['noLocal', B],
      ['noAck', B],
      ['exclusive', B],
      ['nowait', B],
      ['arguments', T],
    ],
  },
  'basic.consume-ok': { classId: 60, methodId: 21, args: [['consumerTag', S]] },
  'basic.cancel': {
    classId: 60,
    methodId: 30,
    args: [
      ['consumerTag', S],
      ['nowait', B],
    ],
  },
  'basic.cancel-ok': { classId: 60, methodId: 31, args: [['consumerTag', S]] },
  'basic.publish': {
    classId: 60,
    methodId: 40,
    args: [
      ['reserved1', 'short'],
      ['exchange', S],
      ['routingKey', S],
      ['mandatory', B],
      ['immediate', B],
    ],
  },
  'basic.return': {
    classId: 60,
    methodId: 50,
    args: [
      ['replyCode', 'short'],
      ['replyText', S],
      ['exchange', S],
      ['routingKey', S],
    ],
  },
  'basic.deliver': {
    classId: 60,
    methodId: 60,
    args: [
      ['consumerTag', S],
      ['deliveryTag', 'longlong'],
      ['redelivered', B],
      ['exchange', S],
      ['routingKey', S],
    ],
  },
  'basic.get': {
    classId: 60,
    methodId: 70,
    args: [
      ['reserved1', 'short'],
      ['queue', S],
      ['noAck', B],
    ],
  },
  'basic.get-ok': {
    classId: 60,
    methodId: 71,
    args: [
      ['deliveryTag', 'longlong'],
      ['redelivered', B],
      ['exchange', S],
      ['routingKey', S],
      ['messageCount', 'long'],
    ],
  },
  'basic.get-empty': { classId: 60, methodId: 72, args: [['reserved1', S]] },
  'basic.ack': {
    classId: 60,
    methodId: 80,
    args: [
      ['deliveryTag', 'longlong'],
      ['multiple', B],
    ],
  },
  'basic.reject': {
    classId: 60,
    methodId: 90,
    args: [
      ['deliveryTag', 'longlong'],
      ['requeue', B],
    ],
  },
  'basic.recover-async': { classId: 60, methodId: 100, args: [['requeue', B]] },
  'basic.recover': { classId: 60, methodId: 110, args: [['requeue', B]] },
  'basic.recover-ok': { classId: 60, methodId: 111, args: [] },
  'basic.nack': {
    classId: 60,
    methodId: 120,
    args: [
      ['deliveryTag', 'longlong'],
      ['multiple', B],
      ['requeue', B],
    ],
  },
  'tx.select': { classId: 90, methodId: 10, args: [] },
  'tx.select-ok': { classId: 90, methodId: 11, args: [] },
  'tx.commit': { classId: 90, methodId: 20, args: [] },
  'tx.commit-ok': { classId: 90, methodId: 21, args: [] },
  'tx.rollback': { classId: 90, methodId: 30, args: [] },
  'tx.rollback-ok': { classId: 90, methodId: 31, args: [] },
  'confirm.select': { classId: 85, methodId: 10, args: [['nowait', B]] },
  'confirm.select-ok': { classId: 85, methodId: 11, args: [] },
}

const BY_ID = new Map<number, [string, MethodDef]>(
  Object.entries(METHODS).map(([name, def]) => [def.classId * 65536 + def.methodId, [name, def]]),
)

export const FRAME_METHOD = 1
export const FRAME_HEADER = 2
export const FRAME_BODY = 3
export const FRAME_HEARTBEAT = 8
export const FRAME_END = 0xce
export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1])

/** A field-table value with an explicit AMQP type tag, e.g. `{ type: 'l', value: 5n }` or `{ type: 'V' }`. */
export interface Typed {
  readonly type: string
  readonly value?: unknown
}
export type TableValue = string | number | boolean | null | Buffer | bigint | Typed | TableValue[] | Table
export interface Table {
  [key: string]: TableValue
}

export function typed(type: string, value?: unknown): Typed {
  return { type, value }
}

// ---------------------------------------------------------------------------------------- encoding

class Out {
  private parts: Buffer[] = []
  octet(v: number): void {
    this.parts.push(Buffer.from([v & 0xff]))
  }
  short(v: number): void {
    const b = Buffer.alloc(2)
    b.writeUInt16BE(v & 0xffff)
    this.parts.push(b)
  }
  long(v: number): void {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(v >>> 0)
    this.parts.push(b)
  }
  longlong(v: number | bigint): void {
    const b = Buffer.alloc(8)
    b.writeBigUInt64BE(BigInt(v))
    this.parts.push(b)
  }
  shortstr(v: string | Buffer): void {
    const b = typeof v === 'string' ? Buffer.from(v) : v
    this.octet(b.length)
    this.parts.push(b)
  }
  longstr(v: string | Buffer): void {
    const b = typeof v === 'string' ? Buffer.from(v) : v
    this.long(b.length)
    this.parts.push(b)
  }
  raw(b: Buffer): void {
    this.parts.push(b)
  }
  table(t: Table | Buffer | undefined): void {
    if (Buffer.isBuffer(t)) return this.longstr(t)
    this.longstr(encodeTable(t ?? {}))
  }
  done(): Buffer {
    return Buffer.concat(this.parts)
  }
}

/** Encodes a field table body (without its length prefix). */
export function encodeTable(t: Table): Buffer {
  const o = new Out()
  for (const [k, v] of Object.entries(t)) {
    o.shortstr(k)
    encodeValue(o, v)
  }
  return o.done()
}

function encodeValue(o: Out, v: TableValue): void {
  if (v === null) return o.octet(0x56) // 'V'
  if (typeof v === 'string') {
    o.octet(0x53) // 'S'
    return o.longstr(v)
  }
  if (typeof v === 'boolean') {
    o.octet(0x74) // 't'
    return o.octet(v ? 1 : 0)
  }
  if (typeof v === 'bigint') {
    o.octet(0x6c) // 'l'
    const b = Buffer.alloc(8)
    b.writeBigInt64BE(v)
    return o.raw(b)
  }
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff)
      return encodeTyped(o, { type: 'I', value: v })
    if (Number.isInteger(v)) return encodeTyped(o, { type: 'l', value: BigInt(v) })
    return encodeTyped(o, { type: 'd', value: v })
  }
  if (Buffer.isBuffer(v)) {
    o.octet(0x78) // 'x'
    return o.longstr(v)
  }
  if (Array.isArray(v)) {
    const inner = new Out()
    for (const item of v) encodeValue(inner, item)
    o.octet(0x41) // 'A'
    return o.longstr(inner.done())
  }
  if (isTyped(v)) return encodeTyped(o, v)
  o.octet(0x46) // 'F'
  o.longstr(encodeTable(v))
}

function isTyped(v: unknown): v is Typed {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !Buffer.isBuffer(v) &&
    typeof (v as Typed).type === 'string' &&
    Object.keys(v).every((k) => k === 'type' || k === 'value')
  )
}

function encodeTyped(o: Out, t: Typed): void {
  const tag = t.type
  o.octet(tag.charCodeAt(0))
  const n = t.value as number
  const b8 = Buffer.alloc(8)
  switch (tag) {
    case 't':
      return o.octet(t.value ? 1 : 0)
    case 'b':
      b8.writeInt8(n)
      return o.raw(b8.subarray(0, 1))
    case 'B':
      return o.octet(n)
    case 's':
      b8.writeInt16BE(n)
      return o.raw(b8.subarray(0, 2))
    case 'u':
      return o.short(n)
    case 'I':
      b8.writeInt32BE(n)
      return o.raw(b8.subarray(0, 4))
    case 'i':
      return o.long(n)
    case 'l':
      b8.writeBigInt64BE(BigInt(t.value as number | bigint))
      return o.raw(b8)
    case 'T':
      return o.longlong(t.value as number | bigint)
    case 'f':
      b8.writeFloatBE(n)
      return o.raw(b8.subarray(0, 4))
    case 'd':
      b8.writeDoubleBE(n)
      return o.raw(b8)
    case 'D': {
      const [scale, val] = t.value as [number, number]
      o.octet(scale)
      b8.writeInt32BE(val)
      return o.raw(b8.subarray(0, 4))
    }
    case 'S':
      return o.longstr(t.value as string | Buffer)
    case 'x':
      return o.longstr(t.value as Buffer)
    case 'V':
      return
    case 'F':
      return o.longstr(encodeTable(t.value as Table))
    default:
      throw new Error(`cannot encode field type '${tag}'`)
  }
}

/** The payload of a method frame: class-id, method-id and the encoded arguments. */
export function encodeMethod(name: string, args: Record<string, unknown> = {}): Buffer {
  const def = METHODS[name]
  if (!def) throw new Error(`unknown method ${name}`)
  const o = new Out()
  o.short(def.classId)
  o.short(def.methodId)
  let bits: number[] = []
  const flushBits = (): void => {
    for (let i = 0; i < bits.length; i += 8) {
      let byte = 0
      bits.slice(i, i + 8).forEach((bit, j) => (byte |= bit << j))
      o.octet(byte)
    }
    bits = []
  }
  for (const [arg, type] of def.args) {
    const v = args[arg]
    if (type === 'bit') {
      bits.push(v ? 1 : 0)
      continue
    }
    flushBits()
    switch (type) {
      case 'octet':
        o.octet((v as number) ?? 0)
        break
      case 'short':
        o.short((v as number) ?? 0)
        break
      case 'long':
        o.long((v as number) ?? 0)
        break
      case 'longlong':
      case 'timestamp':
        o.longlong((v as number | bigint) ?? 0)
        break
      case 'shortstr':
        o.shortstr((v as string | Buffer) ?? '')
        break
      case 'longstr':
        o.longstr((v as string | Buffer) ?? '')
        break
      case 'table':
        o.table(v as Table | Buffer | undefined)
        break
    }
  }
  flushBits()
  return o.done()
}

/** A whole frame; `frameEnd` and `size` can be overridden to build malformed frames. */
export function frame(
  type: number,
  channel: number,
  payload: Buffer,
  opts: { frameEnd?: number; size?: number } = {},
): Buffer {
  const head = Buffer.alloc(7)
  head.writeUInt8(type, 0)
  head.writeUInt16BE(channel, 1)
  head.writeUInt32BE(opts.size ?? payload.length, 3)
  return Buffer.concat([head, payload, Buffer.from([opts.frameEnd ?? FRAME_END])])
}

export function methodFrame(channel: number, name: string, args: Record<string, unknown> = {}): Buffer {
  return frame(FRAME_METHOD, channel, encodeMethod(name, args))
}

/** A method frame with arbitrary class/method ids and raw argument bytes. */
export function rawMethodFrame(
  channel: number,
  classId: number,
  methodId: number,
  args: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(4)
  head.writeUInt16BE(classId, 0)
  head.writeUInt16BE(methodId, 2)
  return frame(FRAME_METHOD, channel, Buffer.concat([head, args]))
}

/**
 * A content header frame. With no properties the flags are 0; `headers` sets the headers property
 * (flag bit 13) and `deliveryMode` bit 12.
 */
export function headerFrame(
  channel: number,
  bodySize: number,
  opts: { classId?: number; headers?: Table; deliveryMode?: number; contentType?: string } = {},
): Buffer {
  const o = new Out()
  o.short(opts.classId ?? 60)
  o.short(0)
  o.longlong(bodySize)
  let flags = 0
  if (opts.contentType !== undefined) flags |= 1 << 15
  if (opts.headers) flags |= 1 << 13
  if (opts.deliveryMode !== undefined) flags |= 1 << 12
  o.short(flags)
  if (opts.contentType !== undefined) o.shortstr(opts.contentType)
  if (opts.headers) o.table(opts.headers)
  if (opts.deliveryMode !== undefined) o.octet(opts.deliveryMode)
  return frame(FRAME_HEADER, channel, o.done())
}

export function bodyFrame(channel: number, body: Buffer | string): Buffer {
  return frame(FRAME_BODY, channel, typeof body === 'string' ? Buffer.from(body) : body)
}

export function heartbeatFrame(channel = 0): Buffer {
  return frame(FRAME_HEARTBEAT, channel, Buffer.alloc(0))
}

// ---------------------------------------------------------------------------------------- decoding

class In {
  at = 0
  constructor(private readonly b: Buffer) {}
  octet(): number {
    return this.b.readUInt8(this.at++)
  }
  short(): number {
    const v = this.b.readUInt16BE(this.at)
    this.at += 2
    return v
  }
  long(): number {
    const v = this.b.readUInt32BE(this.at)
    this.at += 4
    return v
  }
  longlong(): bigint {
    const v = this.b.readBigUInt64BE(this.at)
    this.at += 8
    return v
  }
  bytes(n: number): Buffer {
    const v = this.b.subarray(this.at, this.at + n)
    this.at += n
    return v
  }
  shortstr(): string {
    return this.bytes(this.octet()).toString()
  }
  longstr(): Buffer {
    return this.bytes(this.long())
  }
  table(): Table {
    return decodeTable(this.longstr())
  }
  get done(): boolean {
    return this.at >= this.b.length
  }
}

export function decodeTable(buf: Buffer): Table {
  const i = new In(buf)
  const t: Table = {}
  while (!i.done) {
    const k = i.shortstr()
    t[k] = decodeValue(i)
  }
  return t
}

function decodeValue(i: In): TableValue {
  const tag = String.fromCharCode(i.octet())
  switch (tag) {
    case 't':
      return i.octet() !== 0
    case 'b':
      return i.bytes(1).readInt8(0)
    case 'B':
      return i.octet()
    case 's':
      return i.bytes(2).readInt16BE(0)
    case 'u':
      return i.short()
    case 'I':
      return i.bytes(4).readInt32BE(0)
    case 'i':
      return i.long()
    case 'l':
      return Number(i.bytes(8).readBigInt64BE(0))
    case 'T':
      return Number(i.longlong())
    case 'f':
      return i.bytes(4).readFloatBE(0)
    case 'd':
      return i.bytes(8).readDoubleBE(0)
    case 'D': {
      const scale = i.octet()
      return typed('D', [scale, i.bytes(4).readInt32BE(0)])
    }
    case 'S':
      return i.longstr().toString()
    case 'x':
      return Buffer.from(i.longstr())
    case 'V':
      return null
    case 'F':
      return i.table()
    case 'A': {
      const inner = new In(i.longstr())
      const out: TableValue[] = []
      while (!inner.done) out.push(decodeValue(inner))
      return out
    }
    default:
      throw new Error(`cannot decode field type '${tag}'`)
  }
}

export interface Frame {
  readonly type: number
  readonly channel: number
  readonly payload: Buffer
  /** For method frames: the method name (or `class.method` ids if unknown) and decoded arguments. */
  readonly method?: string
  readonly classId?: number
  readonly methodId?: number
  readonly args?: Record<string, unknown>
}

export function decodeMethod(payload: Buffer): {
  method: string
  classId: number
  methodId: number
  args: Record<string, unknown>
} {
  const i = new In(payload)
  const classId = i.short()
  const methodId = i.short()
  const entry = BY_ID.get(classId * 65536 + methodId)
  if (!entry) return { method: `${classId}.${methodId}`, classId, methodId, args: {} }
  const [name, def] = entry
  const args: Record<string, unknown> = {}
  let bitByte = 0
  let bitPos = 8
  for (const [arg, type] of def.args) {
    if (type === 'bit') {
      if (bitPos === 8) {
        bitByte = i.octet()
        bitPos = 0
      }
      args[arg] = ((bitByte >> bitPos++) & 1) === 1
      continue
    }
    bitPos = 8
    switch (type) {
      case 'octet':
        args[arg] = i.octet()
        break
      case 'short':
        args[arg] = i.short()
        break
      case 'long':
        args[arg] = i.long()
        break
      case 'longlong':
      case 'timestamp':
        args[arg] = Number(i.longlong())
        break
      case 'shortstr':
        args[arg] = i.shortstr()
        break
      case 'longstr':
        args[arg] = i.longstr().toString()
        break
      case 'table':
        args[arg] = i.table()
        break
    }
  }
  return { method: name, classId, methodId, args }
}

/** What a close frame (connection.close or channel.close) said. */
export interface CloseInfo {
  readonly kind: 'connection' | 'channel'
  readonly channel: number
  readonly replyCode: number
  readonly replyText: string
  readonly classId: number
  readonly methodId: number
}

// ---------------------------------------------------------------------------------------- client

export interface HandshakeOptions {
  user?: string
  pass?: string
  mechanism?: string
  /** The SASL response bytes; defaults to PLAIN's `\0user\0pass` (or AMQPLAIN's table). */
  response?: Buffer
  vhost?: string
  /** tune-ok values; default: echo the server's tune. */
  channelMax?: number
  frameMax?: number
  heartbeat?: number
  /** Client properties; by default a product name and the capabilities amqplib announces. */
  clientProperties?: Table
  /** Stop after this step: 'start' (start received), 'tune' (tune received), 'tune-ok' (tune-ok sent). */
  stopAfter?: 'start' | 'tune' | 'tune-ok'
}

export class RawClient {
  private buf = Buffer.alloc(0)
  private readonly frames: Frame[] = []
  private waiters: (() => void)[] = []
  /** Bytes that did not parse as frames (e.g. a protocol header the server sent back). */
  readonly nonFrameBytes: Buffer[] = []
  private endedFlag = false
  /** How many frames have arrived so far. */
  received = 0
  /** Resolves when the server closes the TCP connection (or it errors). */
  readonly ended: Promise<void>
  serverTune: { channelMax: number; frameMax: number; heartbeat: number } | undefined
  serverProperties: Table | undefined

  private constructor(readonly socket: net.Socket) {
    this.ended = new Promise((resolve) => {
      const done = (): void => {
        this.endedFlag = true
        this.wake()
        resolve()
      }
      socket.on('close', done)
      socket.on('error', () => {})
    })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host)
      socket.setNoDelay(true)
      socket.once('connect', () => {
        socket.removeListener('error', reject)
        resolve(new RawClient(socket))
      })
      socket.once('error', reject)
    })
  }

  /** Connects to the host and port of an amqp:// URL (credentials and vhost are not taken from it). */
  static connectUrl(url: string): Promise<RawClient> {
    const u = new URL(url)
    return RawClient.connect(Number(u.port || 5672), u.hostname.replace(/^\[|\]$/g, ''))
  }

  /** connectUrl + handshake (by default up to connection.open-ok); `channels` are opened as well. */
  static async openUrl(
    url: string,
    opts: HandshakeOptions = {},
    channels: readonly number[] = [],
  ): Promise<RawClient> {
    const c = await RawClient.connectUrl(url)
    try {
      await c.handshake(opts)
      for (const ch of channels) await c.openChannel(ch)
    } catch (err) {
      c.destroy()
      throw err
    }
    return c
  }

  /** Connects, sends the protocol header and runs the handshake (by default up to connection.open-ok). */
  static async open(port: number, opts: HandshakeOptions = {}, host = '127.0.0.1'): Promise<RawClient> {
    const c = await RawClient.connect(port, host)
    await c.handshake(opts)
    return c
  }

  get isEnded(): boolean {
    return this.endedFlag
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk])
    for (;;) {
      if (this.buf.length >= 4 && this.buf.subarray(0, 4).toString('latin1') === 'AMQP') {
        this.nonFrameBytes.push(Buffer.from(this.buf.subarray(0, 8)))
        this.buf = this.buf.subarray(8)
        continue
      }
      if (this.buf.length < 7) break
      const size = this.buf.readUInt32BE(3)
      if (this.buf.length < size + 8) break
      const type = this.buf.readUInt8(0)
      const channel = this.buf.readUInt16BE(1)
      const payload = Buffer.from(this.buf.subarray(7, 7 + size))
      this.buf = this.buf.subarray(size + 8)
      this.received++
      if (type === FRAME_METHOD) {
        let decoded
        try {
          decoded = decodeMethod(payload)
        } catch {
          decoded = { method: 'undecodable', classId: 0, methodId: 0, args: {} }
        }
        this.frames.push({ type, channel, payload, ...decoded })
      } else {
        this.frames.push({ type, channel, payload })
      }
    }
    this.wake()
  }

  write(...bufs: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(bufs))
  }

  send(channel: number, method: string, args: Record<string, unknown> = {}): void {
    this.write(methodFrame(channel, method, args))
  }

  /** Sends basic.publish + header + body frames in one write. */
  publish(
    channel: number,
    exchange: string,
    routingKey: string,
    body: Buffer | string,
    opts: { mandatory?: boolean; immediate?: boolean; headers?: Table } = {},
  ): void {
    const b = typeof body === 'string' ? Buffer.from(body) : body
    this.write(
      methodFrame(channel, 'basic.publish', {
        exchange,
        routingKey,
        mandatory: opts.mandatory,
        immediate: opts.immediate,
      }),
      headerFrame(channel, b.length, opts.headers ? { headers: opts.headers } : {}),
      ...(b.length > 0 ? [bodyFrame(channel, b)] : []),
    )
  }

  /**
   * The next frame that matches `pred` (heartbeats are skipped unless asked for); frames before it are
   * consumed. Resolves undefined if the socket closes or `timeoutMs` passes first.
   */
  async next(
    pred: (f: Frame) => boolean = (f) => f.type !== FRAME_HEARTBEAT,
    timeoutMs = 2000,
  ): Promise<Frame | undefined> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const idx = this.frames.findIndex(pred)
      if (idx >= 0) {
        const [f] = this.frames.splice(0, idx + 1).slice(-1)
        return f
      }
      if (this.endedFlag) return undefined
      const left = deadline - Date.now()
      if (left <= 0) return undefined
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  /** The next method frame with this name (on any channel unless given); throws on timeout/close. */
  async expect(method: string, channel?: number, timeoutMs = 2000): Promise<Record<string, unknown>> {
    const f = await this.next(
      (x) => x.method === method && (channel === undefined || x.channel === channel),
      timeoutMs,
    )
    if (!f)
      throw new Error(
        `expected ${method} but ${this.isEnded ? 'the socket closed' : 'timed out'}; unread: ${this.describePending()}`,
      )
    return f.args ?? {}
  }

  /** The next method frame, whatever it is (or undefined on close/timeout). */
  nextMethod(timeoutMs = 2000): Promise<Frame | undefined> {
    return this.next((f) => f.type === FRAME_METHOD, timeoutMs)
  }

  /** Frames received but not yet consumed. */
  pending(): readonly Frame[] {
    return this.frames
  }

  describePending(): string {
    return JSON.stringify(
      this.frames.map((f) => (f.method ? `${f.channel}:${f.method}` : `${f.channel}:type${f.type}`)),
    )
  }

  /**
   * Waits for the next connection.close or channel.close. Replies with close-ok (unless told not to).
   * Returns undefined if none arrives (socket closed or timeout).
   */
  async waitClose(timeoutMs = 2000, replyCloseOk = true): Promise<CloseInfo | undefined> {
    const f = await this.next(
      (x) => x.method === 'connection.close' || x.method === 'channel.close',
      timeoutMs,
    )
    if (!f || !f.args) return undefined
    const kind = f.method === 'connection.close' ? 'connection' : 'channel'
    if (replyCloseOk) this.send(f.channel, kind === 'connection' ? 'connection.close-ok' : 'channel.close-ok')
    const a = f.args as { replyCode: number; replyText: string; classId: number; methodId: number }
    return {
      kind,
      channel: f.channel,
      replyCode: a.replyCode,
      replyText: a.replyText,
      classId: a.classId,
      methodId: a.methodId,
    }
  }

  async handshake(opts: HandshakeOptions = {}): Promise<void> {
    this.write(PROTOCOL_HEADER)
    const start = await this.expect('connection.start', 0)
    this.serverProperties = start['serverProperties'] as Table
    if (opts.stopAfter === 'start') return
    const user = opts.user ?? 'guest'
    const pass = opts.pass ?? 'guest'
    const mechanism = opts.mechanism ?? 'PLAIN'
    const response =
      opts.response ??
      (mechanism === 'AMQPLAIN'
        ? encodeTable({ LOGIN: user, PASSWORD: pass })
        : Buffer.from(`\0${user}\0${pass}`))
    const clientProperties = opts.clientProperties ?? {
      product: 'raw-client',
      capabilities: {
        publisher_confirms: true,
        exchange_exchange_bindings: true,
        'basic.nack': true,
        consumer_cancel_notify: true,
        'connection.blocked': true,
        authentication_failure_close: true,
      },
    }
    this.send(0, 'connection.start-ok', { clientProperties, mechanism, response, locale: 'en_US' })
    const tune = (await this.expect('connection.tune', 0)) as {
      channelMax: number
      frameMax: number
      heartbeat: number
    }
    this.serverTune = tune
    if (opts.stopAfter === 'tune') return
    this.send(0, 'connection.tune-ok', {
      channelMax: opts.channelMax ?? tune.channelMax,
      frameMax: opts.frameMax ?? tune.frameMax,
      heartbeat: opts.heartbeat ?? 0,
    })
    if (opts.stopAfter === 'tune-ok') return
    this.send(0, 'connection.open', { virtualHost: opts.vhost ?? '/' })
    await this.expect('connection.open-ok', 0)
  }

  async openChannel(channel: number): Promise<void> {
    this.send(channel, 'channel.open')
    await this.expect('channel.open-ok', channel)
  }

  /** Sends a method and waits for the named reply on the same channel. */
  async call(
    channel: number,
    method: string,
    args: Record<string, unknown>,
    reply: string,
  ): Promise<Record<string, unknown>> {
    this.send(channel, method, args)
    return this.expect(reply, channel)
  }

  /** True if the server closed the TCP connection within `ms`. */
  async endsWithin(ms: number): Promise<boolean> {
    await Promise.race([this.ended, new Promise((r) => setTimeout(r, ms))])
    return this.endedFlag
  }

  /** Waits until no frame has arrived for `quietMs` (or the socket closed), at most `maxMs`. */
  async settle(quietMs = 100, maxMs = 3000): Promise<void> {
    const start = Date.now()
    let seen = -1
    while (Date.now() - start < maxMs && !this.endedFlag) {
      const n = this.received
      if (n === seen) return
      seen = n
      await new Promise((r) => setTimeout(r, quietMs))
    }
  }

  /** Polite shutdown: connection.close, wait for close-ok (briefly), then destroy the socket. */
  async close(): Promise<void> {
    if (!this.endedFlag && !this.socket.destroyed) {
      this.send(0, 'connection.close', { replyCode: 200, replyText: 'bye' })
      await this.next((f) => f.method === 'connection.close-ok', 500)
    }
    this.socket.destroy()
    await this.ended
  }

  destroy(): void {
    this.socket.destroy()
  }
}
