// One publishing connection. A message is encoded once, with Warren's codec, into a template (method,
// header and body frames); publishing copies the template into the connection's write slab and stamps the
// send time into the body's first 8 bytes, so a message costs one memcpy and one clock read. Messages are
// written in batches of about 64 KiB and each batch leaves in one socket write; the next batch waits for
// 'drain' when the socket is full, so TCP back-pressure (a broker not reading) reaches the publisher.
import { Writer, writeBodyFrames, writeHeaderFrame, writeMethodFrame } from '../protocol/index.js'
import { ConfirmTracker } from './confirm-tracker.js'
import { CHANNEL, type ConfirmSink, type PerfConnection } from './connection.js'

export interface PublisherOptions {
  readonly exchange: string
  readonly routingKey: string
  /** Body bytes; from 8 up the body carries the send time (float64, ms since the epoch). */
  readonly size: number
  readonly persistent: boolean
  /** Most unconfirmed messages in flight; 0 publishes without confirms. */
  readonly confirm: number
  /** Messages per second on an absolute schedule; 0 is as fast as the socket takes them. */
  readonly rate: number
  /** Stop after this many; 0 publishes until stop(). */
  readonly count: number
  /** A header every message carries with a value of its own (16 digits), e.g. a deduplication key. */
  readonly uniqueHeader?: string | undefined
}

/** Milliseconds since the epoch with sub-microsecond resolution; comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now()

const BATCH_BYTES = 64 * 1024

/** Why the pump is not running. */
type Wait = 'idle' | 'scheduled' | 'drain' | 'timer' | 'window' | 'blocked' | 'done'

export class Publisher implements ConfirmSink {
  published = 0
  private readonly tracker: ConfirmTracker | undefined
  private template: Buffer = Buffer.alloc(0)
  private stampAt = -1
  private keyAt = -1
  /** Distinct per publisher, so that the keys of several publishers do not collide. */
  private readonly keyBase = Math.floor(Math.random() * 1e9) * 1e6
  private batch = 1
  private wait: Wait = 'idle'
  private running = false
  private startedAt = 0
  private timer: NodeJS.Timeout | undefined
  private resolveFinished: () => void = () => {}
  /** Resolves once `count` messages are published and, with confirms, all settled. */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve))

  constructor(
    readonly conn: PerfConnection,
    readonly opts: PublisherOptions,
  ) {
    this.tracker = opts.confirm > 0 ? new ConfirmTracker() : undefined
    conn.onBlocked = (blocked) => {
      if (!blocked && this.wait === 'blocked') this.schedule()
    }
  }

  get confirmed(): number {
    return this.tracker?.acked ?? 0
  }

  get nacked(): number {
    return this.tracker?.nacked ?? 0
  }

  async setup(): Promise<void> {
    if (this.tracker) {
      await this.conn.call(CHANNEL, { name: 'confirm.select', nowait: false }, 'confirm.select-ok')
      this.conn.confirms = this
    }
    const t = buildTemplate(this.opts, this.conn.frameMax)
    this.template = t.bytes
    this.stampAt = t.stampAt
    this.keyAt = t.keyAt
    this.batch = Math.max(1, Math.floor(BATCH_BYTES / t.bytes.length))
  }

  start(): void {
    this.running = true
    this.startedAt = now()
    this.schedule()
  }

  stop(): void {
    this.running = false
    clearTimeout(this.timer)
  }

  onConfirm(ack: boolean, tag: number, multiple: boolean): void {
    this.tracker?.settle(ack, tag, multiple)
    if (this.wait === 'window') this.schedule()
    else if (this.wait === 'done') this.checkFinished()
  }

  private schedule(): void {
    this.wait = 'scheduled'
    setImmediate(this.pump)
  }

  private readonly pump = (): void => {
    this.wait = 'idle'
    if (!this.running || this.conn.error) return
    if (this.conn.blocked) {
      this.wait = 'blocked'
      return
    }
    const n = this.allowance()
    if (n <= 0) return
    this.writeMessages(n)
    if (this.conn.flush()) return this.schedule()
    this.wait = 'drain'
    this.conn.socket.once('drain', this.pump)
  }

  /** How many messages may go now; when none, sets what we wait for. */
  private allowance(): number {
    let n = this.batch
    const { count, confirm, rate } = this.opts
    if (count > 0) {
      if (this.published >= count) {
        this.wait = 'done'
        this.checkFinished()
        return 0
      }
      n = Math.min(n, count - this.published)
    }
    if (this.tracker) {
      const room = confirm - this.tracker.outstanding
      if (room <= 0) {
        this.wait = 'window'
        return 0
      }
      n = Math.min(n, room)
    }
    if (rate > 0) {
      // Message k is due at startedAt + k / rate: a late timer catches up, and the schedule never drifts.
      const elapsed = now() - this.startedAt
      const due = Math.floor((elapsed * rate) / 1000) + 1 - this.published
      if (due <= 0) {
        this.wait = 'timer'
        const delay = (this.published * 1000) / rate - elapsed
        this.timer = setTimeout(this.pump, Math.max(1, delay))
        return 0
      }
      n = Math.min(n, due)
    }
    return n
  }

  private writeMessages(n: number): void {
    const w = this.conn.writer
    const t = this.template
    const len = t.length
    const at = this.stampAt
    for (let i = 0; i < n; i++) {
      w.ensure(len)
      t.copy(w.buf, w.pos)
      if (at >= 0) w.buf.writeDoubleLE(now(), w.pos + at)
      if (this.keyAt >= 0) writeDigits(w.buf, w.pos + this.keyAt, this.keyBase + this.published + i)
      w.pos += len
    }
    this.published += n
    this.tracker?.published(n)
  }

  private checkFinished(): void {
    if (!this.tracker || this.tracker.outstanding === 0) this.resolveFinished()
  }
}

/** The frames of one message, and where the body (and so the timestamp) starts; -1 for bodies under 8 B. */
export function buildTemplate(
  opts: Pick<PublisherOptions, 'exchange' | 'routingKey' | 'size' | 'persistent' | 'uniqueHeader'>,
  frameMax: number,
): { bytes: Buffer; stampAt: number; keyAt: number } {
  const w = new Writer()
  writeMethodFrame(w, CHANNEL, {
    name: 'basic.publish',
    exchange: opts.exchange,
    routingKey: opts.routingKey,
    mandatory: false,
    immediate: false,
  })
  // Transient messages carry no properties at all, as amqpbench sends them.
  const properties = {
    ...(opts.persistent ? { deliveryMode: 2 } : {}),
    ...(opts.uniqueHeader ? { headers: { [opts.uniqueHeader]: KEY_PLACEHOLDER } } : {}),
  }
  writeHeaderFrame(w, CHANNEL, opts.size, properties)
  const bodyAt = w.length
  writeBodyFrames(w, CHANNEL, Buffer.alloc(opts.size, 0x2e), frameMax)
  const bytes = Buffer.concat(w.take())
  const keyAt = opts.uniqueHeader ? bytes.indexOf(KEY_PLACEHOLDER) : -1
  return { bytes, stampAt: opts.size >= 8 ? bodyAt + 7 : -1, keyAt }
}

/** The header value written into the template, overwritten per message with KEY_DIGITS digits. */
const KEY_DIGITS = 16
const KEY_PLACEHOLDER = 'K'.repeat(KEY_DIGITS)

function writeDigits(buf: Buffer, at: number, n: number): void {
  for (let i = KEY_DIGITS - 1; i >= 0; i--) {
    buf[at + i] = 0x30 + (n % 10)
    n = Math.floor(n / 10)
  }
}
