// STOMP frames from a byte stream: a command line, header lines, a blank line, then a body that is
// either `content-length` bytes or everything up to the NUL, then the NUL. End-of-lines between frames
// are heart-beats. Headers are unescaped for STOMP 1.1 and 1.2 (\n, \r, \c, \\), except in CONNECT,
// whose headers are never escaped. Anything else is a MalformedFrameError, which closes the connection.
import { CLIENT_COMMANDS, type Frame, MalformedFrameError } from './frame.js'

const LF = 0x0a
const CR = 0x0d
const NUL = 0x00

/** Bounds on one frame (the body bound is the broker's max message size). */
export interface FrameLimits {
  readonly maxBody: number
  readonly maxHeaderBytes: number
  readonly maxHeaders: number
}

export const DEFAULT_LIMITS: FrameLimits = {
  maxBody: 128 * 1024 * 1024,
  maxHeaderBytes: 64 * 1024,
  maxHeaders: 1000,
}

/** What a partial frame waits for before parsing is worth trying again. */
type Want = { readonly bytes: number } | 'nul' | 'line'

export class FrameDecoder {
  /** STOMP 1.1 and 1.2 escape header values; 1.0 does not (set once the version is negotiated). */
  escaping = false
  private parts: Buffer[] = []
  private size = 0
  private want: Want = 'line'

  constructor(private readonly limits: FrameLimits = DEFAULT_LIMITS) {}

  /** The frames completed by `chunk`; throws MalformedFrameError on input that is not STOMP. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length === 0) return []
    this.parts.push(chunk)
    this.size += chunk.length
    if (!this.worthParsing(chunk)) return []
    return this.parse()
  }

  /**
   * The frames buffered after a CONNECT: parsing stops after one, since how the next frames' headers
   * read (escaped or not) depends on the version it negotiates; the connection sets `escaping` first.
   */
  resume(): Frame[] {
    return this.size === 0 ? [] : this.parse()
  }

  private parse(): Frame[] {
    const buf = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.size)
    const frames: Frame[] = []
    let pos = 0
    for (;;) {
      const r = this.parseOne(buf, pos)
      if ('want' in r) {
        this.want = r.want
        break
      }
      frames.push(r.frame)
      pos = r.next
      if (r.frame.command === 'CONNECT' || r.frame.command === 'STOMP') break
    }
    const rest = buf.subarray(pos)
    this.parts = rest.length > 0 ? [rest] : []
    this.size = rest.length
    return frames
  }

  /** Joining chunks is skipped while the new one cannot complete the frame (a large body's pieces). */
  private worthParsing(chunk: Buffer): boolean {
    const w = this.want
    if (w === 'nul') return chunk.includes(NUL) || this.size > this.limits.maxBody
    if (w === 'line') return chunk.includes(LF) || this.size > this.limits.maxHeaderBytes
    return this.size >= w.bytes
  }

  private parseOne(buf: Buffer, start: number): { frame: Frame; next: number } | { want: Want } {
    let pos = start
    while (pos < buf.length && (buf[pos] === LF || buf[pos] === CR)) pos++
    if (pos === buf.length) return { want: 'line' }
    const head = this.parseHead(buf, pos)
    if ('want' in head) return head
    const { command, headers, bodyStart } = head
    const length = contentLength(headers)
    let end: number
    if (length !== undefined) {
      if (length > this.limits.maxBody) throw new MalformedFrameError(`content-length ${length} is too large`)
      if (buf.length < bodyStart + length + 1) return { want: { bytes: bodyStart + length + 1 - pos } }
      end = bodyStart + length
      if (buf[end] !== NUL) throw new MalformedFrameError('the body is not followed by a NUL')
    } else {
      end = buf.indexOf(NUL, bodyStart)
      if (end < 0) {
        if (buf.length - bodyStart > this.limits.maxBody)
          throw new MalformedFrameError('the frame is too large')
        return { want: 'nul' }
      }
    }
    // The body is copied: the frame may outlive the socket's buffer (it becomes a queued message).
    const body = Buffer.from(buf.subarray(bodyStart, end))
    return { frame: { command, headers, body }, next: end + 1 }
  }

  private parseHead(
    buf: Buffer,
    start: number,
  ): { command: string; headers: Array<[string, string]>; bodyStart: number } | { want: Want } {
    const headers: Array<[string, string]> = []
    let command: string | undefined
    let pos = start
    for (;;) {
      const eol = buf.indexOf(LF, pos)
      if (eol < 0 || eol - start > this.limits.maxHeaderBytes) {
        if (buf.length - start > this.limits.maxHeaderBytes)
          throw new MalformedFrameError('the frame headers are too large')
        return { want: 'line' }
      }
      const line = buf.toString('utf8', pos, eol > pos && buf[eol - 1] === CR ? eol - 1 : eol)
      pos = eol + 1
      if (command === undefined) {
        if (!CLIENT_COMMANDS.has(line)) throw new MalformedFrameError(`unknown command '${printable(line)}'`)
        command = line
        continue
      }
      if (line === '') return { command, headers, bodyStart: pos }
      if (headers.length >= this.limits.maxHeaders) throw new MalformedFrameError('too many headers')
      headers.push(this.parseHeader(line, command))
    }
  }

  private parseHeader(line: string, command: string): [string, string] {
    const colon = line.indexOf(':')
    if (colon < 0) throw new MalformedFrameError(`header '${printable(line)}' has no colon`)
    const escaped = this.escaping && command !== 'CONNECT' && command !== 'STOMP'
    const name = line.slice(0, colon)
    const value = line.slice(colon + 1)
    return escaped ? [unescape(name), unescape(value)] : [name, value]
  }
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', c: ':', '\\': '\\' }

/** STOMP 1.2's header escapes; any other backslash sequence is a fatal protocol error (§Value Encoding). */
export function unescape(s: string): string {
  if (!s.includes('\\')) return s
  return s.replace(/\\(.?)/gs, (_m, c: string) => {
    const v = ESCAPES[c]
    if (v === undefined) throw new MalformedFrameError(`undefined escape sequence '\\${printable(c)}'`)
    return v
  })
}

function contentLength(headers: ReadonlyArray<readonly [string, string]>): number | undefined {
  for (const [k, v] of headers) {
    if (k !== 'content-length') continue
    if (!/^\d{1,15}$/.test(v.trim()))
      throw new MalformedFrameError(`invalid content-length '${printable(v)}'`)
    return Number(v.trim())
  }
  return undefined
}

/** Control characters of a bad input shown safely in an ERROR frame and the log. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.slice(0, 40).replace(/[\u0000-\u001f\u007f]/g, '?')
}
