// Encoding of whole frames into a Writer. A method frame that fails to encode (a string over 255
// bytes, say) is rolled back so the socket never sees half a frame.
import { FRAME } from './generated/constants.js'
import {
  type BasicProperties,
  encodeBasicProperties,
  encodeMethod,
  type Method,
} from './generated/methods.js'
import type { Writer } from './writer.js'
import { copyBytes } from '../shared/index.js'

export const HEARTBEAT_FRAME = Buffer.from([FRAME.HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME.END])

export function writeMethodFrame(w: Writer, channel: number, m: Method): void {
  const at = w.beginFrame(FRAME.METHOD, channel)
  try {
    encodeMethod(w, m)
  } catch (err) {
    w.abortFrame(at)
    throw err
  }
  w.endFrame(at)
}

/**
 * basic.deliver with its content header and body, the frames written per delivered message. The
 * consumer tag comes pre-encoded (length octet and bytes, see encodeShortString), constant parts are
 * written as bytes, and for a body that fits one frame the header and body frames take one bounds
 * check and no length patching: this is most of a consumer's per-message cost.
 */
export function writeDelivery(
  w: Writer,
  channel: number,
  consumerTag: Buffer,
  deliveryTag: number,
  redelivered: boolean,
  exchange: string,
  routingKey: string,
  rawProperties: Buffer,
  body: Buffer,
  frameMax: number,
): void {
  const at = w.beginFrame(FRAME.METHOD, channel)
  w.ensure(4 + consumerTag.length + 9)
  const b = w.buf
  let p = w.pos
  b[p] = 0
  b[p + 1] = 60 // class basic
  b[p + 2] = 0
  b[p + 3] = 60 // method deliver
  p += 4
  copyBytes(consumerTag, 0, consumerTag.length, b, p)
  p += consumerTag.length
  w.pos = p
  w.longlong(deliveryTag)
  w.octet(redelivered ? 1 : 0)
  try {
    w.shortstr(exchange)
    w.shortstr(routingKey)
  } catch (err) {
    w.abortFrame(at)
    throw err
  }
  w.endFrame(at)
  const n = body.length
  if (n === 0 || n >= SMALL_CONTENT || (frameMax !== 0 && n > frameMax - 8)) {
    writeRawHeaderFrame(w, channel, n, rawProperties)
    if (n > 0) writeBodyFrames(w, channel, body, frameMax)
    return
  }
  // Header frame (7 + 12 + properties + 1 bytes) and body frame (7 + n + 1) at once.
  const propsLen = rawProperties.length
  const headerPayload = 12 + propsLen
  w.ensure(headerPayload + n + 16)
  const o = w.buf
  p = w.pos
  o[p] = FRAME.HEADER
  o[p + 1] = channel >>> 8
  o[p + 2] = channel & 0xff
  o.writeUInt32BE(headerPayload, p + 3)
  o[p + 7] = 0
  o[p + 8] = 60 // class basic
  o[p + 9] = 0 // weight
  o[p + 10] = 0
  o.writeUInt32BE(0, p + 11) // body size, high half: n < SMALL_CONTENT
  o.writeUInt32BE(n, p + 15)
  p += 19
  copyBytes(rawProperties, 0, propsLen, o, p)
  p += propsLen
  o[p++] = FRAME.END
  o[p] = FRAME.BODY
  o[p + 1] = channel >>> 8
  o[p + 2] = channel & 0xff
  o.writeUInt32BE(n, p + 3)
  p += 7
  copyBytes(body, 0, n, o, p)
  p += n
  o[p++] = FRAME.END
  w.pos = p
}

/** Bodies below this size are written with the frames around them in one go (and not by reference). */
const SMALL_CONTENT = 16 * 1024

/** A short string as sent on the wire (length octet, then UTF-8 bytes), for values written per message. */
export function encodeShortString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8')
  if (bytes.length > 255) throw new RangeError(`short string too long (${bytes.length} bytes)`)
  return Buffer.concat([Buffer.from([bytes.length]), bytes])
}

/** Writes a content header frame from the raw property bytes a publisher sent (flags word onwards). */
export function writeRawHeaderFrame(
  w: Writer,
  channel: number,
  bodySize: number,
  rawProperties: Buffer,
): void {
  const at = w.beginFrame(FRAME.HEADER, channel)
  w.short(60)
  w.short(0)
  w.longlong(bodySize)
  w.bytes(rawProperties)
  w.endFrame(at)
}

export function writeHeaderFrame(w: Writer, channel: number, bodySize: number, props: BasicProperties): void {
  const at = w.beginFrame(FRAME.HEADER, channel)
  w.short(60)
  w.short(0)
  w.longlong(bodySize)
  encodeBasicProperties(w, props)
  w.endFrame(at)
}

/**
 * Body frames, each at most frameMax bytes including the 8 bytes of frame overhead. A frameMax of 0 is the
 * spec's "no limit": one frame.
 */
export function writeBodyFrames(w: Writer, channel: number, body: Buffer, frameMax: number): void {
  const chunk = frameMax === 0 ? body.length : frameMax - 8
  // A frameMax of 8 or less would never advance (the handshake refuses anything under 4096 anyway).
  if (chunk <= 0 && body.length > 0) throw new RangeError(`frame_max ${frameMax} leaves no room for a body`)
  for (let off = 0; off < body.length; off += chunk) {
    const end = Math.min(body.length, off + chunk)
    w.ensure(7)
    const b = w.buf
    b[w.pos] = FRAME.BODY
    b.writeUInt16BE(channel, w.pos + 1)
    b.writeUInt32BE(end - off, w.pos + 3)
    w.pos += 7
    w.bytes(off === 0 && end === body.length ? body : body.subarray(off, end))
    w.octet(FRAME.END)
  }
}

/** Encodes basic properties to the raw form kept with a message (flags word onwards). */
export function encodeProperties(w: Writer, props: BasicProperties): Buffer {
  encodeBasicProperties(w, props)
  return Buffer.concat(w.take())
}
