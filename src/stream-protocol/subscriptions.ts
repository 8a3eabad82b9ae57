// Reading over the Stream protocol: subscribe with an offset specification and an initial credit, chunks
// delivered while credit lasts (one credit per chunk), credit, unsubscribe, single active consumer with
// consumer updates, and the offsets consumers store on the server.
import { countError } from './metrics.js'
import type { StreamReader, StreamStart } from '../core/index.js'
import { CODE, KEY, OFFSET_TYPE } from './constants.js'
import type { StreamConnection } from './connection.js'
import { type FrameReader, MalformedFrameError } from './frame-reader.js'
import { FrameWriter, response } from './frame-writer.js'
import type { Ctx } from './handlers.js'
import { deliverFrames } from './osiris-chunk.js'
import { type GroupMember, SacGroups } from './single-active.js'
import { partitionIndex } from './super-streams.js'
import { type StreamRef, streamOf, watchDeletion } from './streams.js'

export class Subscription implements GroupMember {
  active = false
  private reader: StreamReader | undefined
  private busy = false
  private closed = false
  private readonly wake = (): void => this.pump()

  constructor(
    readonly c: StreamConnection,
    readonly id: number,
    readonly stream: StreamRef,
    public credit: number,
    readonly start: StreamStart,
    /** The single-active-consumer group, when the subscription is in one. */
    readonly groupKey: string | undefined,
    readonly partitionIndex: number,
    /** The subscription's properties (single-active-consumer, name, identifier, ...) as the client sent them. */
    readonly properties: ReadonlyMap<string, string> = new Map(),
  ) {}

  /** Starts reading from `start` (resolved by the log); deliveries follow commits and credit. */
  begin(start: StreamStart): void {
    const log = this.stream.access.log
    this.busy = true
    log.resolveStart(start).then(
      (offset) => {
        this.busy = false
        if (this.closed || this.steppedDown) return
        this.reader = log.openReader(offset)
        this.c.server.watch(this.stream.access).onCommit.add(this.wake)
        // The start is fixed now; the first chunk waits until the subscribe response is out and a moment
        // more: it can be ready at once, and the npm client runs a handler of a delivery read with the
        // response before its declareConsumer resolves.
        this.c.afterWritten(this.wake)
      },
      (err: unknown) => this.failed(err),
    )
  }

  pump(): void {
    const reader = this.reader
    if (!reader || this.busy || this.closed || this.credit <= 0 || !this.c.isWritable) return
    if (reader.nextOffset >= this.stream.access.log.committedOffset) return
    this.busy = true
    reader.read().then(
      (chunk) => {
        this.busy = false
        // Closed, or stepped down (single active consumer) while reading: the chunk is not for the client.
        if (this.closed || !chunk || this.reader !== reader) return
        const frames = deliverFrames(this.id, chunk, this.c.frameMax)
        for (const f of frames) this.c.sendParts(f)
        this.credit = Math.max(0, this.credit - frames.length)
        this.stream.queue.stats.deliver += chunk.count
        this.c.server.counters.delivered += chunk.count
        this.pump()
      },
      (err: unknown) => this.failed(err),
    )
  }

  private failed(err: unknown): void {
    // A stream deleted under a read takes its files along: the deletion's metadata update tells the
    // client, and the connection (other streams, publishers) goes on.
    if (this.closed || this.stream.queue.deleted) {
      this.c.logger.debug({ err }, `reading stream '${this.stream.name}' ended: the stream is gone`)
      return
    }
    this.c.logger.error({ err }, `reading stream '${this.stream.name}' failed`)
    this.c.fail(CODE.internalError, `reading stream '${this.stream.name}' failed`)
  }

  /** In a single-active-consumer group and not (any longer) its active member. */
  private get steppedDown(): boolean {
    return this.groupKey !== undefined && !this.active
  }

  private stopReading(): void {
    this.reader?.close()
    this.reader = undefined
    this.c.server.watch(this.stream.access).onCommit.delete(this.wake)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.stopReading()
    this.c.server.sac.leave(this)
  }

  deactivate(done: () => void): void {
    this.stopReading()
    const correlationId = this.c.newCorrelationId()
    this.c.consumerUpdates.set(correlationId, () => done())
    this.c.send(new FrameWriter(KEY.consumerUpdate).u32(correlationId).u8(this.id).u8(0).frame())
    if (this.closed || !this.c.isOpen) {
      this.c.consumerUpdates.delete(correlationId)
      done()
    }
  }

  /** Becomes the active consumer of its group: asks the client where to start (consumer update). */
  activate(): void {
    const c = this.c
    const correlationId = c.newCorrelationId()
    c.consumerUpdates.set(correlationId, (r) => {
      if (this.closed || this.steppedDown) return
      let start = this.start
      try {
        if (r && r.u16() === CODE.ok) start = readOffsetSpec(r)
      } catch (err) {
        if (!(err instanceof MalformedFrameError)) throw err
      }
      this.begin(start)
    })
    c.send(new FrameWriter(KEY.consumerUpdate).u32(correlationId).u8(this.id).u8(1).frame())
  }
}

/** An offset specification: type, then a uint64 offset or an int64 timestamp (ms) for those types. */
function readOffsetSpec(r: FrameReader): StreamStart {
  const type = r.u16()
  if (type === OFFSET_TYPE.first) return { kind: 'first' }
  if (type === OFFSET_TYPE.last) return { kind: 'last' }
  if (type === OFFSET_TYPE.next) return { kind: 'next' }
  if (type === OFFSET_TYPE.offset) return { kind: 'offset', offset: r.u64() }
  if (type === OFFSET_TYPE.timestamp) return { kind: 'timestamp', at: r.i64() }
  throw new MalformedFrameError(`unknown offset specification type ${type}`)
}

export function onSubscribe(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const id = r.u8()
  const name = r.string()
  const start = readOffsetSpec(r)
  const credit = r.u16()
  const props = r.remaining > 0 ? r.map() : new Map<string, string>()
  if (c.subscriptions.has(id))
    return c.respond(KEY.subscribe, ctx.correlationId, CODE.subscriptionIdAlreadyExists)
  c.session?.permit('read', 'queue', name)
  const stream = streamOf(c, name)
  const single = props.get('single-active-consumer') === 'true'
  const reference = props.get('name')
  if (single && !reference) return c.respond(KEY.subscribe, ctx.correlationId, CODE.preconditionFailed)
  const groupKey = single ? SacGroups.key(c.vhost?.name ?? '', name, reference ?? '') : undefined
  const superStream = props.get('super-stream')
  const index = single && superStream !== undefined ? partitionIndex(c, superStream, name) : -1
  const sub = new Subscription(c, id, stream, credit, start, groupKey, index, props)
  c.subscriptions.set(id, sub)
  watchDeletion(c, stream)
  c.respond(KEY.subscribe, ctx.correlationId, CODE.ok)
  if (single) c.server.sac.join(sub)
  else sub.begin(start)
}

export function onCredit(c: StreamConnection, r: FrameReader): void {
  const id = r.u8()
  const credit = r.u16()
  const sub = c.subscriptions.get(id)
  if (!sub) {
    countError(c.server.counters, CODE.subscriptionIdDoesNotExist)
    const w = new FrameWriter(KEY.credit | 0x8000).u16(CODE.subscriptionIdDoesNotExist).u8(id)
    return c.send(w.frame())
  }
  sub.credit += credit
  sub.pump()
}

export function onUnsubscribe(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const id = r.u8()
  const sub = c.subscriptions.get(id)
  if (!sub) return c.respond(KEY.unsubscribe, ctx.correlationId, CODE.subscriptionIdDoesNotExist)
  c.subscriptions.delete(id)
  sub.close()
  c.respond(KEY.unsubscribe, ctx.correlationId, CODE.ok)
}

/** Store offset has no answer: a refused one (no such stream, no permission) is only logged. */
export function onStoreOffset(c: StreamConnection, r: FrameReader): void {
  const reference = r.string()
  const name = r.string()
  const offset = r.u64()
  c.session?.permit('read', 'queue', name)
  c.server.tracking.storeOffset(streamOf(c, name).access.log, reference, offset)
}

export function onQueryOffset(c: StreamConnection, r: FrameReader, ctx: Ctx): void {
  const reference = r.string()
  const name = r.string()
  c.session?.permit('read', 'queue', name)
  const offset = c.server.tracking.queryOffset(streamOf(c, name).access.log, reference)
  if (offset === undefined) {
    return c.send(response(KEY.queryOffset, ctx.correlationId, CODE.noOffset).u64(0).frame())
  }
  c.send(response(KEY.queryOffset, ctx.correlationId, CODE.ok).u64(offset).frame())
}
