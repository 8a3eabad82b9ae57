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
