// How a message looks on each side: Stream-protocol clients publish and receive AMQP 1.0 messages, AMQP
// 0-9-1 clients Warren's properties and body, and a stream holds Warren's form. The mapping is RabbitMQ
// 3.10.8's, read off the wire of a 3.10.8 node: the exchange and routing key, priority, delivery mode and
// expiration ride in message annotations (x-exchange, x-routing-key, x-basic-*), type and app-id lead the
// application properties (x-basic-type, x-basic-app-id) followed by the headers (tables and arrays left
// out), content type and encoding are symbols, the timestamp a creation time in ms. Coming back, a
// header section (durable, priority, ttl) counts too. What AMQP 0-9-1 cannot hold (to, subject, group
// ids, absolute expiry, other annotations, footers) is dropped.
import {
  type BasicProperties,
  type FieldTable,
  type FieldValue,
  Timestamp,
  TypedValue,
} from '../shared/index.js'
import type { PersistedMessage } from '../core/index.js'
import {
  Amqp10Reader,
  Amqp10Writer,
  Described10,
  Long10,
  Symbol10,
  Timestamp10,
  type Value10,
} from './amqp10-types.js'
import { MalformedFrameError } from './frame-reader.js'

const SECTION = {
  header: 0x70,
  deliveryAnnotations: 0x71,
  messageAnnotations: 0x72,
  properties: 0x73,
  applicationProperties: 0x74,
  data: 0x75,
  amqpSequence: 0x76,
  amqpValue: 0x77,
  footer: 0x78,
} as const

// ---- Warren → AMQP 1.0 ----

/** The AMQP 1.0 message (header, annotations, properties, application properties, data) of a stored message. */
export function encodeAmqp10(m: PersistedMessage): Buffer {
  const w = new Amqp10Writer()
  const p = m.properties
  writeHeader(w, p)
  writeAnnotations(w, m)
  writeProperties(w, p)
  writeApplicationProperties(w, p)
  w.descriptor(SECTION.data).binary(m.body)
  return w.toBuffer()
}

/** A key and its value, written into a map section. */
type Entry = (w: Amqp10Writer) => void

function writeMap(w: Amqp10Writer, section: number, entries: readonly Entry[]): void {
  if (entries.length === 0) return
  const body = new Amqp10Writer()
  for (const e of entries) e(body)
  w.descriptor(section).compound(0xd1, entries.length * 2, body.toBuffer())
}

/**
 * The header section (durable, priority, ttl), as RabbitMQ 3.13+ writes it for an AMQP 0-9-1 message and
 * stream clients read it (message.messageHeader.priority); 3.10.8 carried these in the x-basic-*
 * annotations only, which are kept for clients that read those.
 */
function writeHeader(w: Amqp10Writer, p: BasicProperties): void {
  const { deliveryMode, priority, expiration } = p
  const ttl = expiration !== undefined && /^\d+$/.test(expiration) ? Number(expiration) : undefined
  if (deliveryMode === undefined && priority === undefined && ttl === undefined) return
  const body = new Amqp10Writer()
  if (deliveryMode !== undefined) body.boolean(deliveryMode === 2)
  else body.null()
  if (priority !== undefined) body.ubyte(priority)
  else if (ttl !== undefined) body.null()
  if (ttl !== undefined) body.uint(ttl)
  const count = ttl !== undefined ? 3 : priority !== undefined ? 2 : 1
  w.descriptor(SECTION.header).compound(0xd0, count, body.toBuffer())
}

function writeAnnotations(w: Amqp10Writer, m: PersistedMessage): void {
  const p = m.properties
  const entries: Entry[] = [
    (b) => b.symbol('x-routing-key').string(m.routingKey),
    (b) => b.symbol('x-exchange').string(m.exchange),
  ]
  const { priority, deliveryMode, expiration } = p
  if (priority !== undefined) entries.push((b) => b.symbol('x-basic-priority').ubyte(priority))
  if (deliveryMode !== undefined) entries.push((b) => b.symbol('x-basic-delivery-mode').ubyte(deliveryMode))
  if (expiration !== undefined) entries.push((b) => b.symbol('x-basic-expiration').string(expiration))
  writeMap(w, SECTION.messageAnnotations, entries)
}

function writeProperties(w: Amqp10Writer, p: BasicProperties): void {
  const fields: Array<((b: Amqp10Writer) => void) | undefined> = [
    p.messageId !== undefined ? (b) => b.string(p.messageId as string) : undefined,
    p.userId !== undefined ? (b) => b.binary(Buffer.from(p.userId as string)) : undefined,
    undefined, // to
    undefined, // subject
    p.replyTo !== undefined ? (b) => b.string(p.replyTo as string) : undefined,
    p.correlationId !== undefined ? (b) => b.string(p.correlationId as string) : undefined,
    p.contentType !== undefined ? (b) => b.symbol(p.contentType as string) : undefined,
    p.contentEncoding !== undefined ? (b) => b.symbol(p.contentEncoding as string) : undefined,
    undefined, // absolute-expiry-time
    p.timestamp !== undefined ? (b) => b.timestamp((p.timestamp as number) * 1000) : undefined,
  ]
  let count = fields.length
  while (count > 0 && fields[count - 1] === undefined) count--
  if (count === 0) return
  const body = new Amqp10Writer()
  for (let i = 0; i < count; i++) {
    const f = fields[i]
    if (f) f(body)
    else body.null()
  }
  w.descriptor(SECTION.properties).compound(0xd0, count, body.toBuffer())
}

function writeApplicationProperties(w: Amqp10Writer, p: BasicProperties): void {
  const entries: Entry[] = []
  const { type, appId } = p
  if (type !== undefined) entries.push((b) => b.string('x-basic-type').string(type))
  if (appId !== undefined) entries.push((b) => b.string('x-basic-app-id').string(appId))
  for (const [k, v] of Object.entries(p.headers ?? {})) {
    // application properties hold simple values only
    if (isSimple(v)) entries.push((b) => writeSimple(b.string(k), v))
  }
  writeMap(w, SECTION.applicationProperties, entries)
}

function isSimple(v: FieldValue): boolean {
  return (
    v === null ||
    typeof v !== 'object' ||
    Buffer.isBuffer(v) ||
    v instanceof Timestamp ||
    v instanceof TypedValue
  )
}

/** An AMQP 0-9-1 simple field value (see isSimple) as an AMQP 1.0 one. */
function writeSimple(w: Amqp10Writer, v: FieldValue): void {
  if (v === null) w.null()
  else if (typeof v === 'string') w.string(v)
  else if (typeof v === 'boolean') w.boolean(v)
  else if (typeof v === 'number') writeNumber(w, v)
  else if (typeof v === 'bigint') w.long(Number(v))
  else if (Buffer.isBuffer(v)) w.binary(v)
  else if (v instanceof Timestamp) w.timestamp(v.seconds * 1000)
  else if (v instanceof TypedValue) writeTyped(w, v)
}

function writeNumber(w: Amqp10Writer, n: number): void {
  if (!Number.isInteger(n)) w.double(n)
  else if (n >= -0x80000000 && n <= 0x7fffffff) w.int(n)
  else w.long(n)
}

function writeTyped(w: Amqp10Writer, v: TypedValue): void {
  const n = Number(v.value)
  if (v.type === 'f' || v.type === 'd') w.double(n)
  else if (v.type === 'l' || v.type === 'i') w.long(n)
  else w.int(n)
}

// ---- AMQP 1.0 → Warren ----

interface Sections {
  header?: Value10[]
  annotations?: Map<Value10, Value10>
  properties?: Value10[]
  applicationProperties?: Map<Value10, Value10>
  body: Buffer[]
}

/**
 * The message a Stream-protocol client published, as the stream holds it: exchange '' and the stream
 * as routing key unless its annotations name others.
 */
export function decodeAmqp10(bytes: Buffer, stream: string): PersistedMessage {
  const s = readSections(bytes)
  const properties: BasicProperties = {}
  const header = s.header
  if (header) {
    if (header[0] === true) properties.deliveryMode = 2
    else if (header[0] === false) properties.deliveryMode = 1
    if (typeof header[1] === 'number') properties.priority = header[1]
    if (typeof header[2] === 'number') properties.expiration = String(header[2])
  }
  if (s.properties) readProperties(s.properties, properties)
  const ann = s.annotations
  const annotated = (k: string): Value10 | undefined => ann?.get(k)
  const text = (v: Value10 | undefined): string | undefined => (typeof v === 'string' ? v : undefined)
  const priority = annotated('x-basic-priority')
  if (typeof priority === 'number') properties.priority = priority
  const mode = annotated('x-basic-delivery-mode')
  if (typeof mode === 'number') properties.deliveryMode = mode
  const expiration = text(annotated('x-basic-expiration'))
  if (expiration !== undefined) properties.expiration = expiration
  const headers = s.applicationProperties ? toTable(s.applicationProperties) : {}
  const { 'x-basic-type': type, 'x-basic-app-id': appId, ...rest } = headers
  if (typeof type === 'string') properties.type = type
  if (typeof appId === 'string') properties.appId = appId
  if (Object.keys(rest).length > 0) properties.headers = rest
  return {
    exchange: text(annotated('x-exchange')) ?? '',
    routingKey: text(annotated('x-routing-key')) ?? stream,
    properties,
    body: s.body.length === 1 ? (s.body[0] as Buffer) : Buffer.concat(s.body),
  }
}

function readSections(bytes: Buffer): Sections {
  const r = new Amqp10Reader(bytes)
  const s: Sections = { body: [] }
  while (!r.done) {
    const v = r.value()
    if (!(v instanceof Described10) || !(v.descriptor instanceof Long10)) {
      throw new MalformedFrameError('an AMQP 1.0 message section must be a described value')
    }
    readSection(s, v.descriptor.value, v.value)
  }
  return s
}

function readSection(s: Sections, code: number, v: Value10): void {
  if (code === SECTION.header && Array.isArray(v)) s.header = v
  else if (code === SECTION.messageAnnotations && v instanceof Map) s.annotations = v
  else if (code === SECTION.properties && Array.isArray(v)) s.properties = v
  else if (code === SECTION.applicationProperties && v instanceof Map) s.applicationProperties = v
  else if (code === SECTION.data && Buffer.isBuffer(v)) s.body.push(v)
  else if (code === SECTION.amqpValue) s.body.push(valueAsBody(v))
  // delivery annotations, sequences and footers have no AMQP 0-9-1 counterpart
}

function valueAsBody(v: Value10): Buffer {
  if (Buffer.isBuffer(v)) return v
  if (typeof v === 'string') return Buffer.from(v, 'utf8')
  return Buffer.from(String(toField(v)), 'utf8')
}

function readProperties(list: Value10[], p: BasicProperties): void {
  const text = (v: Value10 | undefined): string | undefined =>
    v === undefined || v === null ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : String(toField(v))
  const set = <K extends keyof BasicProperties>(k: K, v: BasicProperties[K] | undefined): void => {
    if (v !== undefined) p[k] = v
  }
  set('messageId', text(list[0]))
  set('userId', text(list[1]))
  set('replyTo', text(list[4]))
  set('correlationId', text(list[5]))
  set('contentType', text(list[6]))
  set('contentEncoding', text(list[7]))
  const created = list[9]
  if (created instanceof Timestamp10) p.timestamp = Math.floor(created.ms / 1000)
}

function toTable(m: Map<Value10, Value10>): FieldTable {
  const t: FieldTable = {}
  for (const [k, v] of m) t[String(toField(k))] = toField(v)
  return t
}

/** An AMQP 1.0 value as the nearest AMQP 0-9-1 field value. */
function toField(v: Value10): FieldValue {
  if (v === null || typeof v !== 'object') return v
  if (Buffer.isBuffer(v)) return v
  if (v instanceof Symbol10) return v.name
  if (v instanceof Timestamp10) return new Timestamp(Math.floor(v.ms / 1000))
  if (v instanceof Long10) return new TypedValue('l', v.value)
  if (v instanceof Described10) return toField(v.value)
  if (Array.isArray(v)) return v.map(toField)
  return toTable(v)
}
