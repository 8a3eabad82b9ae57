// Shared pieces of the protocol tests: a frame collector, method encode/decode through real frames, and an
// independent reading of the spec XML (not the generator's) so that the tests check the generated codec
// against the spec rather than against itself.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  decodeMethod,
  FrameDecoder,
  type Method,
  Reader,
  Writer,
  writeMethodFrame,
} from '../../src/protocol/index.js'
import type { FieldTable } from '../../src/shared/index.js'

/** Repository root: compiled tests live in dist/test/protocol/. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface Frame {
  type: number
  channel: number
  payload: Buffer
}

/** Feeds chunks to a FrameDecoder and returns the frames it handed out, payloads copied. */
export function collectFrames(chunks: readonly Buffer[], maxFrameSize = 1 << 20): Frame[] {
  const frames: Frame[] = []
  const decoder = new FrameDecoder(
    {
      onFrame(type, channel, buf, start, end) {
        frames.push({ type, channel, payload: Buffer.from(buf.subarray(start, end)) })
      },
    },
    maxFrameSize,
  )
  for (const c of chunks) decoder.push(c)
  return frames
}

/** Everything a writer produced, as one buffer. */
export function written(fn: (w: Writer) => void, w = new Writer()): Buffer {
  fn(w)
  return Buffer.concat(w.take())
}

/** Decodes a method frame payload (class id, method id, arguments). */
export function decodePayload(payload: Buffer): Method | undefined {
  const r = new Reader().reset(payload, 0, payload.length)
  const classId = r.short()
  const methodId = r.short()
  return decodeMethod(r, classId, methodId)
}

/** Encodes a method as a frame on channel 1, runs it through a FrameDecoder, and decodes it back. */
export function roundTripMethod(m: Method, w = new Writer()): Method | undefined {
  writeMethodFrame(w, 1, m)
  const frames = collectFrames(w.take())
  if (frames.length !== 1) throw new Error(`expected one frame, got ${frames.length}`)
  const f = frames[0] as Frame
  if (f.type !== 1 || f.channel !== 1) throw new Error(`unexpected frame type ${f.type} channel ${f.channel}`)
  return decodePayload(f.payload)
}

/** Encodes a field table on its own (length prefix included). */
export function encodeTable(t: FieldTable, w = new Writer()): Buffer {
  return written((x) => x.table(t), w)
}

export function decodeTable(bytes: Buffer): FieldTable {
  const r = new Reader().reset(bytes, 0, bytes.length)
  const t = r.table()
  if (r.pos !== bytes.length) throw new Error(`table left ${bytes.length - r.pos} bytes unread`)
  return t
}

/** Builds a buffer from bytes, strings (latin1) and nested arrays of them. */
export function bytes(...parts: (number | string | Buffer | number[])[]): Buffer {
  return Buffer.concat(
    parts.map((p) =>
      typeof p === 'number'
        ? Buffer.from([p])
        : typeof p === 'string'
          ? Buffer.from(p, 'latin1')
          : Buffer.isBuffer(p)
            ? p
            : Buffer.from(p),
    ),
  )
}

export const u16 = (v: number): Buffer => {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(v)
  return b
}
export const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(v)
  return b
}
export const u64 = (v: number | bigint): Buffer => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(v))
  return b
}
/** A short string: length octet then latin1 bytes. */
export const sstr = (s: string): Buffer => bytes(Buffer.byteLength(s, 'latin1'), s)
/** A long string: 32-bit length then latin1 bytes. */
export const lstr = (s: string): Buffer => bytes(u32(Buffer.byteLength(s, 'latin1')), s)

/** A whole frame around a payload. */
export function frame(type: number, channel: number, payload: Buffer): Buffer {
  return bytes(type, u16(channel), u32(payload.length), payload, 0xce)
}

// ---- the spec, read independently of scripts/codegen ----

export type WireType =
  'bit' | 'octet' | 'short' | 'long' | 'longlong' | 'shortstr' | 'longstr' | 'timestamp' | 'table'

export interface SpecField {
  name: string
  type: WireType
  reserved: boolean
}

export interface SpecMethod {
  name: string
  classId: number
  methodId: number
  fields: SpecField[]
}

const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/** Every method of the spec plus the overlay, with its argument fields (field names camelCased). */
export function specMethods(): SpecMethod[] {
  const domains = new Map<string, string>()
  const methods: SpecMethod[] = []
  for (const file of ['specs/amqp0-9-1.stripped.extended.xml', 'specs/overlay.xml']) {
    const xml = readFileSync(ROOT + file, 'utf8').replace(/<!--[\s\S]*?-->/g, '')
    for (const m of xml.matchAll(/<domain name="([^"]+)" type="([^"]+)"/g))
      domains.set(m[1] as string, m[2] as string)
    for (const c of xml.matchAll(/<class name="([^"]+)"[^>]*index="(\d+)"[^>]*>([\s\S]*?)<\/class>/g)) {
      const [, cls, classIndex, body] = c as unknown as [string, string, string, string]
      for (const m of body.matchAll(
        /<method name="([^"]+)"[^>]*index="(\d+)"[^>]*?(\/>|>([\s\S]*?)<\/method>)/g,
      )) {
        const fields: SpecField[] = []
        for (const f of (m[4] ?? '').matchAll(/<field ([^>]*?)\/?>/g)) {
          const a = Object.fromEntries(
            [...(f[1] as string).matchAll(/([\w-]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
          )
          fields.push({
            name: camel(a.name as string),
            type: (a.type ?? domains.get(a.domain as string)) as WireType,
            reserved: a.reserved === '1',
          })
        }
        methods.push({
          name: `${cls}.${m[1] as string}`,
          classId: Number(classIndex),
          methodId: Number(m[2]),
          fields,
        })
      }
    }
  }
  return methods
}
