// Group commit. Every mutation bumps a sequence number; flush() waits for a sync cycle that started at or
// after its call. While one cycle is on disk, every flush() called meanwhile joins the next cycle, so one
// fsync covers them all however many publishers are waiting for confirms. Cycles start from setImmediate
// so that callers from the same event-loop turn (several sockets read in one poll phase) share one.
// A cycle that finds the file system full fails its flush() callers (their publishes are nacked) but not
// the store: the writer keeps what it could not write, and cycles are retried, a little apart, until
// space is back.
import { isNoSpace, NoSpaceError } from '../../shared/index.js'

type Cycle = (sync: boolean) => Promise<void>

/** How long a full file system is left alone before the next try. */
const NO_SPACE_RETRY_MS = 500

interface Waiters {
  promise: Promise<void>
  resolve: () => void
  reject: (err: unknown) => void
}

function waiters(): Waiters {
  let resolve!: () => void
  let reject!: (err: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  // A cycle may fail before anyone awaits it (write-behind); the caller of flush() sees the error.
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

const RESOLVED = Promise.resolve()

export class GroupCommit {
  /** Sync cycles completed: one fsync round each (tests check that concurrent flushes share them). */
  syncs = 0
  /** The error that stopped the writer; every later flush() fails with it. */
  failed: Error | null = null
  private opSeq = 0
  private durableSeq = 0
  private next: Waiters | null = null
  private current: { seq: number; waiters: Waiters } | null = null
  private writeWanted = false
  private scheduled = false
  private running: Promise<void> | null = null
  private stopped = false
  /** Set while the file system is full: cycles wait for this timer. */
  private retryTimer: NodeJS.Timeout | null = null

  /**
   * cycle(sync) must take the pending writes synchronously, before its first await. `what` names the
   * store in errors; onNoSpace hears of every cycle the file system refused.
   */
  constructor(
    private readonly cycle: Cycle,
    private readonly what = 'messages',
    private readonly onNoSpace: (err: NoSpaceError) => void = () => undefined,
  ) {}

  /** The file system was full at the last try: writes are pending until space is freed. */
  get stalled(): boolean {
    return this.retryTimer !== null
  }

  /** Records that a mutation was buffered. */
  touch(): void {
    this.opSeq++
  }

  get dirty(): boolean {
    return this.opSeq !== this.durableSeq
  }

  /** Asks for a cycle that writes (and reclaims) without waiting for a flush(): write-behind. */
  requestWrite(): void {
    this.writeWanted = true
    this.schedule()
  }

  flush(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed)
    if (this.opSeq === this.durableSeq) return RESOLVED
    if (this.current && this.current.seq === this.opSeq) return this.current.waiters.promise
    if (!this.next) {
      this.next = waiters()
      this.schedule()
    }
    return this.next.promise
  }

  /** No cycles after the running or scheduled one: the store is closing. */
  stop(): void {
    this.stopped = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
  }

  /** Resolves once no cycle is running or scheduled. */
  async idle(): Promise<void> {
    while (this.running || this.scheduled) await (this.running ?? new Promise((r) => setImmediate(r)))
  }

  private schedule(): void {
    if (this.running || this.scheduled || this.failed || this.retryTimer) return
    if (this.stopped) {
      this.next?.reject(new Error('queue store is closed'))
      this.next = null
      return
    }
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.running = this.run().finally(() => {
        this.running = null
        // A waiter resumed by the last cycle may have asked again before this ran.
        if (this.next || this.writeWanted) this.schedule()
      })
    })
  }

  private async run(): Promise<void> {
    while (this.next || this.writeWanted) {
      const w = this.next
      const seq = this.opSeq
      this.next = null
      this.writeWanted = false
      if (w) this.current = { seq, waiters: w }
      try {
        await this.cycle(w !== null)
      } catch (err) {
        if (isNoSpace(err)) this.noSpace(err, w)
        else this.fail(err, w)
        return
      }
      this.current = null
      if (w) {
        this.durableSeq = seq
        this.syncs++
        w.resolve()
      }
    }
  }

  private noSpace(err: unknown, w: Waiters | null): void {
    const e = err instanceof NoSpaceError ? err : new NoSpaceError(this.what, err)
    this.current = null
    w?.reject(e)
    this.onNoSpace(e)
    // Written data stays with the writer; the next try also covers whatever is buffered meanwhile.
    this.writeWanted = true
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.schedule()
    }, NO_SPACE_RETRY_MS)
    this.retryTimer.unref()
  }

  private fail(err: unknown, w: Waiters | null): void {
    // After a failed write or fsync the page cache no longer tells what is on disk, so no retry.
    this.failed = err instanceof Error ? err : new Error(String(err))
    this.current = null
    w?.reject(this.failed)
    this.next?.reject(this.failed)
    this.next = null
  }
}
