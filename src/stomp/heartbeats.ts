// STOMP heart-beats (1.1 §Heart-beating): the client's CONNECT says `cx,cy` (it sends every cx ms, wants
// one every cy ms); the server answers `sx,sy` = `cy,cx` as RabbitMQ does, sends an end-of-line whenever
// it has been quiet for sx ms, and takes a client silent for twice cx as gone. Before the CONNECT the
// same watch gives the client its connect timeout.
import type { Clock, TimerHandle } from '../shared/index.js'

export class Heartbeats {
  /** Set while the connection is not read (blocked by a resource alarm): silence then says nothing. */
  paused = false
  private lastHeard: number
  private lastSent: number
  private readonly timers: TimerHandle[] = []

  constructor(
    private readonly clock: Clock,
    private readonly beat: () => void,
    private readonly expired: (why: string) => void,
  ) {
    this.lastHeard = this.lastSent = clock.now()
  }

  heard(): void {
    this.lastHeard = this.clock.now()
  }

  sent(): void {
    this.lastSent = this.clock.now()
  }

  deadline(ms: number, why: string): void {
    this.stop()
    this.after(ms, () => this.expired(why))
  }

  /** The CONNECTED frame's heart-beat header for a CONNECT's `heart-beat` value; starts both timers. */
  negotiate(asked: string | undefined): string {
    this.stop()
    const [cx, cy] = parse(asked)
    if (cy > 0) this.sendEvery(cy)
    if (cx > 0) this.expectEvery(cx)
    return `${cy},${cx}`
  }

  private sendEvery(ms: number): void {
    const tick = (): void => {
      const quiet = this.clock.now() - this.lastSent
      if (quiet >= ms) this.beat()
      this.after(quiet >= ms ? ms : ms - quiet, tick)
    }
    this.after(ms, tick)
  }

  private expectEvery(ms: number): void {
    const limit = ms * 2
    const check = (): void => {
      if (this.paused) this.heard()
      const idle = this.clock.now() - this.lastHeard
      if (idle >= limit) this.expired(`no heart-beat from the client in ${limit} ms`)
      else this.after(limit - idle, check)
    }
    this.after(limit, check)
  }

  stop(): void {
    for (const t of this.timers.splice(0)) this.clock.clearTimeout(t)
  }

  private after(ms: number, fn: () => void): void {
    const t = this.clock.setTimeout(() => {
      const i = this.timers.indexOf(t)
      if (i >= 0) this.timers.splice(i, 1)
      fn()
    }, ms)
    t.unref?.()
    this.timers.push(t)
  }
}

/** `cx,cy` as numbers; absent or malformed is 0,0 (no heart-beats). */
function parse(v: string | undefined): [number, number] {
  const m = v === undefined ? null : /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(v)
  return m ? [Number(m[1]), Number(m[2])] : [0, 0]
}
