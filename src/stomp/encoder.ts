// Frames to the client. STOMP 1.1 and 1.2 header values are escaped (except in CONNECTED, which never
// is); a body goes with its content-length, as RabbitMQ writes MESSAGE and ERROR frames. RabbitMQ
// follows each frame's NUL with an end-of-line, which clients read as a heart-beat; Warren does too.
import type { Headers } from './frame.js'

const ESCAPE = /[\\\n\r:]/g
const ESCAPED: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', ':': '\\c' }

/** Whether a value needs escaping at all: most do not, and a test is cheaper than a replace. */
const NEEDS_ESCAPE = /[\\\n\r:]/

export function escapeHeader(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(ESCAPE, (c) => ESCAPED[c] ?? c) : s
}

/** STOMP 1.0 has no escapes: an end-of-line in a value would end the header, so it is dropped. */
function flatten(s: string): string {
  return s.replace(/[\r\n]/g, ' ')
}

export function encodeFrame(
  command: string,
  headers: Headers,
  body: Buffer | undefined,
  escape: boolean,
): Buffer {
  const enc = escape && command !== 'CONNECTED' ? escapeHeader : flatten
  let head = `${command}\n`
  for (const [k, v] of headers) head += `${enc(k)}:${enc(v)}\n`
  if (body !== undefined && body.length > 0) head += `content-length:${body.length}\n`
  head += '\n'
  const h = Buffer.from(head, 'utf8')
  if (body === undefined || body.length === 0) return Buffer.concat([h, FRAME_END])
  return Buffer.concat([h, body, FRAME_END], h.length + body.length + FRAME_END.length)
}

const FRAME_END = Buffer.from([0, 0x0a])

/** A heart-beat: one end-of-line. */
export const HEARTBEAT = Buffer.from('\n')
