// Memory and disk alarms, as RabbitMQ has them, sized so that Warren never dies of memory or disk.
//
// Memory: what can kill a Node process is its V8 heap reaching the heap limit, or its memory reaching the
// machine's RAM or its cgroup's limit. The high watermark (RabbitMQ's vm_memory_high_watermark, relative
// to the smaller of RAM and the cgroup limit, or absolute) bounds what the broker holds (heap in use plus
// the buffers it allocated outside the heap), and a share of the heap limit bounds the heap alone.
// Resident memory is not used: the allocator keeps freed blocks, so it stays high after a backlog has
// gone and an alarm on it would never clear. Half-way to either limit, queues start paging messages out
// to disk (RabbitMQ's paging ratio); at the limit publishers are blocked. Both clear with hysteresis.
//
// While the memory alarm is set, publishers are blocked and the broker allocates little, so V8 may not
// collect for a long time and the buffers of messages already gone would still count: the monitor then
// asks for a full collection now and then (backing off), which lets the alarm clear once the backlog has.
//
// Disk: the alarm is set while free space on the data directory's file system is below the limit. Space
// is read on a timer and whenever the stores have written a share of the margin left at the last reading.
// In between, every write counts against that reading: the alarm is set the moment the bytes written
// since could have taken free space below the limit, without waiting for the next reading, so a fast
// publisher is blocked before the disk is full, not after.
import { readFileSync } from 'node:fs'
import { statfs } from 'node:fs/promises'
import { totalmem } from 'node:os'
import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Broker } from '../core/index.js'

export interface ResourceLimits {
  /** Fraction of the memory available (≤ 1) or bytes (> 1). */
  memoryHighWatermark: number
  /** Bytes of free disk below which the disk alarm is set; 0 disables the check. */
  diskFreeLimit: number
  /** Directory whose file system is watched; undefined when nothing is stored. */
  dataDir: string | undefined
}

/** What the process holds now, as the monitor reads it (injectable for tests). */
export interface MemorySample {
  /** V8 heap in use. */
  heapUsed: number
  /** Memory allocated outside the heap for JavaScript objects (Buffers, typed arrays). */
  external: number
}

/** Share of V8's heap limit at which publishers are blocked: mark-compact needs room above it. */
export const HEAP_ALARM_SHARE = 0.7
/** RabbitMQ's vm_memory_high_watermark_paging_ratio: queues page out from half-way to the limit. */
export const PAGING_RATIO = 0.5
/** Alarms and paging clear only this far below where they were set, so they do not flap. */
const HYSTERESIS = 0.9
const MEMORY_CHECK_MS = 100
const DISK_CHECK_MS = 1000
/** A disk check is also due once this share of the last margin above the limit has been written. */
const DISK_MARGIN_SHARE = 0.25
/** First full collection after the memory alarm is set, and the longest wait between two. */
const GC_FIRST_MS = 1000
const GC_MAX_MS = 30_000

let collector: (() => void) | null | undefined
/**
 * A full garbage collection, without starting Node with --expose-gc: the flag set now applies to
 * contexts made afterwards, and such a context hands out V8's collector. A no-op if V8 refuses.
 */
function collectGarbage(): void {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc')
      const gc: unknown = runInNewContext('gc')
      collector = typeof gc === 'function' ? (gc as () => void) : null
    } catch {
      collector = null
    }
  }
  collector?.()
}

/** Memory a process may have: RAM, or less when a cgroup (a container) limits it. */
export function availableMemory(): number {
  return Math.min(totalmem(), cgroupMemoryLimit())
}

function cgroupMemoryLimit(): number {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const n = Number(readFileSync(file, 'utf8').trim())
      if (Number.isFinite(n) && n > 0) return n
    } catch {
      // no such cgroup version here
    }
  }
  return Infinity
}

export function memoryLimitBytes(watermark: number): number {
  return watermark <= 1 ? Math.floor(availableMemory() * watermark) : watermark
}

const sampleMemory = (): MemorySample => {
  const m = process.memoryUsage()
  return { heapUsed: m.heapUsed, external: m.external }
}

export interface ResourceStatus {
  memUsed: number
  memLimit: number
  heapUsed: number
  heapLimit: number
  /** Free bytes on the data directory's file system; undefined before the first check or without one. */
  diskFree: number | undefined
  diskFreeLimit: number
  /** Bytes appended to the stores that the OS has not taken yet (held in memory). */
  storeBuffered: number
}

export class ResourceMonitor {
  readonly memoryLimit: number
  readonly heapLimit: number
  private memTimer: ReturnType<typeof setInterval> | undefined
  private diskTimer: ReturnType<typeof setInterval> | undefined
  private last: MemorySample = { heapUsed: 0, external: 0 }
  private diskFree: number | undefined
  /** Bytes appended to the stores and not yet taken by the OS, now and when free space was last read. */
  private pending = 0
  private pendingAtReading = 0
  private appendedSince = 0
  private appendBudget = Infinity

  constructor(
    private readonly broker: Broker,
    private readonly limits: ResourceLimits,
    private readonly sample: () => MemorySample = sampleMemory,
    heapSizeLimit = getHeapStatistics().heap_size_limit,
  ) {
    this.memoryLimit = memoryLimitBytes(limits.memoryHighWatermark)
    this.heapLimit = Math.floor(heapSizeLimit * HEAP_ALARM_SHARE)
  }

  start(): void {
    this.checkMemory()
    this.memTimer = setInterval(() => this.checkMemory(), MEMORY_CHECK_MS)
    this.memTimer.unref()
    if (this.watchesDisk) {
      void this.checkDisk()
      this.diskTimer = setInterval(() => void this.checkDisk(), DISK_CHECK_MS)
      this.diskTimer.unref()
    }
  }

  /** How full memory is: 1 at the watermark or the heap's share of its limit, whichever comes first. */
  private fill(s: MemorySample): number {
    return Math.max((s.heapUsed + s.external) / this.memoryLimit, s.heapUsed / this.heapLimit)
  }

  checkMemory(): void {
    this.last = this.sample()
    const fill = this.fill(this.last)
    const alarm = this.memoryAlarm ? fill >= HYSTERESIS : fill >= 1
    // Only the monitor's own transitions are passed on, so an alarm set by hand stays until it changes.
    if (alarm !== this.memoryAlarm) this.broker.setAlarm('memory', (this.memoryAlarm = alarm))
    if (alarm) this.collectWhileAlarmed()
    else {
      this.gcAt = 0
      this.gcBackoff = GC_FIRST_MS
    }
    const paging = this.broker.memory.paging
    this.broker.setMemoryPressure(paging ? fill >= PAGING_RATIO * HYSTERESIS : fill >= PAGING_RATIO)
  }
  private memoryAlarm = false
  private diskAlarm = false
  private gcAt = 0
  private gcBackoff = GC_FIRST_MS

  private collectWhileAlarmed(): void {
    const now = Date.now()
    if (this.gcAt === 0) this.gcAt = now + this.gcBackoff
    if (now < this.gcAt) return
    collectGarbage()
    this.gcBackoff = Math.min(this.gcBackoff * 2, GC_MAX_MS)
    this.gcAt = now + this.gcBackoff
  }

  /** The stores buffered `bytes` to write: block publishers now if they may take free space below the limit. */
  appended(bytes: number): void {
    this.pending += bytes
    this.appendedSince += bytes
    if (!this.diskAlarm && this.freeAtMost() < this.limits.diskFreeLimit)
      this.broker.setAlarm('disk', (this.diskAlarm = true))
    if (this.appendedSince >= this.appendBudget) void this.checkDisk()
  }

  /** The OS took `bytes` of what was appended. */
  written(bytes: number): void {
    this.pending = Math.max(0, this.pending - bytes)
  }

  /**
   * Free space at most, now: the last reading less what was waiting to be written when it was taken
   * (not in its figure) and what was appended since. Deleted files count as still there: safe side.
   */
  private freeAtMost(): number {
    return (this.diskFree ?? Infinity) - this.pendingAtReading - this.appendedSince
  }

  private get watchesDisk(): boolean {
    return this.limits.dataDir !== undefined && this.limits.diskFreeLimit > 0
  }

  /** Reads free space; asked while a reading runs, it returns that one and reads again after it. */
  checkDisk(): Promise<void> {
    if (!this.watchesDisk) return Promise.resolve()
    if (this.diskCheck) {
      this.recheck = true
      return this.diskCheck
    }
    this.diskCheck = this.readDisk().finally(() => {
      this.diskCheck = undefined
      if (this.recheck) {
        this.recheck = false
        void this.checkDisk()
      }
    })
    return this.diskCheck
  }
  private diskCheck: Promise<void> | undefined
  private recheck = false

  private async readDisk(): Promise<void> {
    const pending = this.pending
    const appended = this.appendedSince
    try {
      const s = await statfs(this.limits.dataDir as string)
      this.diskFree = s.bavail * s.bsize
      this.pendingAtReading = pending
      // Appended while statfs ran: not in its figure, and not in `pending` as taken.
      this.appendedSince -= appended
      const margin = this.freeAtMost() - this.limits.diskFreeLimit
      if (margin < 0 !== this.diskAlarm) this.broker.setAlarm('disk', (this.diskAlarm = margin < 0))
      this.appendBudget = this.appendedSince + Math.max(64 * 1024, margin * DISK_MARGIN_SHARE)
    } catch (err) {
      this.broker.logger.warn({ err }, 'cannot read free disk space of the data directory')
    }
  }

  status(): ResourceStatus {
    return {
      memUsed: this.last.heapUsed + this.last.external,
      memLimit: this.memoryLimit,
      heapUsed: this.last.heapUsed,
      heapLimit: this.heapLimit,
      diskFree: this.diskFree,
      // Nothing stored, nothing limited: a broker without a data directory never sets the disk alarm.
      diskFreeLimit: this.watchesDisk ? this.limits.diskFreeLimit : 0,
      storeBuffered: this.pending,
    }
  }

  stop(): void {
    if (this.memTimer) clearInterval(this.memTimer)
    if (this.diskTimer) clearInterval(this.diskTimer)
  }
}
