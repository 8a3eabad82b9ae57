// Memory and disk alarms, checked on a timer as RabbitMQ does: the memory alarm is set while the
// process's resident memory is above the high watermark, the disk alarm while free space on the data
// directory's file system is below the limit. Setting either blocks publishers (see amqp/blocking.ts).
import { statfs } from 'node:fs/promises'
import { totalmem } from 'node:os'
import type { Broker } from '../core/index.js'

export interface ResourceLimits {
  /** Fraction of total RAM (≤ 1) or bytes (> 1). */
  memoryHighWatermark: number
  /** Bytes of free disk below which the disk alarm is set; 0 disables the check. */
  diskFreeLimit: number
  /** Directory whose file system is watched; undefined when nothing is stored. */
  dataDir: string | undefined
}

export function memoryLimitBytes(watermark: number): number {
  return watermark <= 1 ? Math.floor(totalmem() * watermark) : watermark
}

export class ResourceMonitor {
  private memTimer: ReturnType<typeof setInterval> | undefined
  private diskTimer: ReturnType<typeof setInterval> | undefined
  readonly memoryLimit: number

  constructor(
    private readonly broker: Broker,
    private readonly limits: ResourceLimits,
    /** Reads resident memory; injectable so tests can raise an alarm without filling RAM. */
    private readonly rss: () => number = () => process.memoryUsage.rss(),
  ) {
    this.memoryLimit = memoryLimitBytes(limits.memoryHighWatermark)
  }

  start(): void {
    this.checkMemory()
    this.memTimer = setInterval(() => this.checkMemory(), 1000)
    this.memTimer.unref()
    if (this.limits.dataDir && this.limits.diskFreeLimit > 0) {
      void this.checkDisk()
      this.diskTimer = setInterval(() => void this.checkDisk(), 10_000)
      this.diskTimer.unref()
    }
  }

  checkMemory(): void {
    this.broker.setAlarm('memory', this.rss() > this.memoryLimit)
  }

  private async checkDisk(): Promise<void> {
    try {
      const s = await statfs(this.limits.dataDir as string)
      this.broker.setAlarm('disk', s.bavail * s.bsize < this.limits.diskFreeLimit)
    } catch (err) {
      this.broker.logger.warn({ err }, 'cannot read free disk space of the data directory')
    }
  }

  stop(): void {
    if (this.memTimer) clearInterval(this.memTimer)
    if (this.diskTimer) clearInterval(this.diskTimer)
  }
}
