// Content assembly: a content-bearing method (basic.publish) is followed by a content header frame and
// body frames; this puts them together, with RabbitMQ's answers to frames out of order, and hands the
// complete content to the channel. One publish is assembled at a time per channel, so its state object is
// reused (this runs per message). Small property sets that repeat are decoded once (properties-cache.ts);
// a single-frame body is copied once out of the socket chunk.
import type { Exchange } from '../core/index.js'
import { decodeBasicProperties } from '../protocol/index.js'
import { type BasicProperties, clearArray, FrameError, UnexpectedFrameError } from '../shared/index.js'
import type { CodecState } from './codec-state.js'
import { MAX_CACHED_PROPERTIES } from './properties-cache.js'

const EMPTY_BODY = Buffer.alloc(0)
const BASIC_PUBLISH_IDS = [60, 40] as const

/**
 * Decodes the properties in `buf[at, end)` (from the flags word on) into the pending publish, with its
 * raw bytes: for a short property set (most publishers send none, a delivery mode or a content type),
 * the decoding shared by every message with the same bytes; else a decoding of its own and one copy out
 * of the socket chunk (so that the message does not pin the chunk).
 */
function decodeProperties(codec: CodecState, p: PendingPublish, buf: Buffer, at: number, end: number): void {
  const { reader, properties: propertiesCache } = codec
  const cacheable = end - at >= 2 && end - at <= MAX_CACHED_PROPERTIES
  if (cacheable) {
    const known = propertiesCache.get(buf, at, end)
    if (known) {
      p.properties = known.properties
      p.rawProperties = known.raw
      return
    }
  }
  reader.reset(buf, at, end)
  const properties = decodeBasicProperties(reader)
  if (reader.pos !== end) throw new FrameError('content header frame has trailing bytes')
  if (cacheable) {
    const cached = propertiesCache.put(buf, at, end, properties)
    p.properties = cached.properties
    p.rawProperties = cached.raw
    return
  }
  p.properties = properties
  p.rawProperties = codec.slab.copy(buf, at, end)
}

export interface PendingPublish {
  /** Undefined for a content-bearing method a client may not send (basic.deliver, say): its content is
   * read, as RabbitMQ does, and then refused. */
  exchange: Exchange | undefined
  /** Class and method ids of the method that announced the content. */
  methodIds: readonly [number, number]
  routingKey: string
  mandatory: boolean
  bodySize: number
  properties: BasicProperties | undefined
  rawProperties: Buffer | undefined
  parts: Buffer[]
  received: number
}

export class ContentAssembler {
  private pending: PendingPublish | undefined

  constructor(
    private readonly codec: CodecState,
    /** Throws when a body of this size may not be published (checked once the header says it). */
    private readonly checkSize: (bodySize: number) => void,
    /** The content is complete. */
    private readonly complete: (p: PendingPublish, body: Buffer) => void,
  ) {}

  /** A content method is waiting for its header or body frames. */
  get busy(): boolean {
    return this.pending !== undefined
  }

  /** Forgets a publish in progress (the channel closes). */
  reset(): void {
    this.pending = undefined
  }

  /** RabbitMQ's 505 for a frame where the pending publish expects its content header or body. */
  contentExpected(): UnexpectedFrameError {
    const err = new UnexpectedFrameError(
      (this.pending?.bodySize ?? -1) < 0
        ? 'expected content header for class 60, got non content header frame instead'
        : 'expected content body, got non content body frame instead',
    )
    err.method = this.pendingMethodIds()
    return err
  }

  /** Class and method ids to report for an error in content frames: the pending content method. */
  pendingMethodIds(): readonly [number, number] {
    return this.pending ? this.pending.methodIds : [0, 0]
  }

  start(
    exchange: Exchange | undefined,
    routingKey: string,
    mandatory: boolean,
    methodIds: readonly [number, number] = BASIC_PUBLISH_IDS,
  ): void {
    // One publish is assembled at a time per channel, so its state object is reused: this runs per message.
    const p = this.publishing
    p.exchange = exchange
    p.methodIds = methodIds
    p.routingKey = routingKey
    p.mandatory = mandatory
    p.bodySize = -1
    p.properties = undefined
    p.rawProperties = undefined
    clearArray(p.parts)
    p.received = 0
    this.pending = p
  }
  private readonly publishing: PendingPublish = {
    exchange: undefined,
    methodIds: BASIC_PUBLISH_IDS,
    routingKey: '',
    mandatory: false,
    bodySize: -1,
    properties: undefined,
    rawProperties: undefined,
    parts: [],
    received: 0,
  }

  onHeaderFrame(buf: Buffer, start: number, end: number): void {
    const p = this.pending
    if (!p) throw new UnexpectedFrameError('expected method frame, got non method frame instead')
    if (p.bodySize >= 0) throw this.contentExpected()
    const reader = this.codec.reader.reset(buf, start, end)
    const classId = reader.short()
    if (classId !== 60) {
      throw new UnexpectedFrameError(
        `expected content header for class 60, got one for class ${classId} instead`,
      )
    }
    reader.short() // weight, unused
    const bodySize = reader.longlong()
    decodeProperties(this.codec, p, buf, reader.pos, end)
    p.bodySize = bodySize
    try {
      this.checkSize(bodySize)
    } catch (err) {
      this.pending = undefined
      throw err
    }
    if (bodySize === 0) this.finish(p, EMPTY_BODY)
  }

  onBodyFrame(buf: Buffer, start: number, end: number): void {
    const p = this.pending
    if (!p) throw new UnexpectedFrameError('expected method frame, got non method frame instead')
    if (p.bodySize < 0) throw this.contentExpected()
    p.received += end - start
    // Like RabbitMQ, a body longer than its header said never completes: the publish is not routed and
    // the next method frame is an UNEXPECTED_FRAME.
    if (p.received > p.bodySize) {
      clearArray(p.parts)
      return
    }
    if (p.received === p.bodySize && p.parts.length === 0) {
      // Single-frame body: one copy out of the socket chunk.
      return this.finish(p, this.codec.slab.copy(buf, start, end))
    }
    p.parts.push(Buffer.from(buf.subarray(start, end)))
    if (p.received === p.bodySize) {
      const body = Buffer.concat(p.parts, p.bodySize)
      clearArray(p.parts)
      this.finish(p, body)
    }
  }

  private finish(p: PendingPublish, body: Buffer): void {
    this.pending = undefined
    this.complete(p, body)
  }
}
