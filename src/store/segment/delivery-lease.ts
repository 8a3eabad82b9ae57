// Delivery lease of one queue store: the highest message id that may have been delivered to a consumer,
// written ahead of the deliveries and fsynced. A delivered-mark goes to the ack log with the next group
// commit, so a crash can lose it; the lease cannot be lost, because a delivery past it waits until a new,
// larger lease is on disk. After a crash, recovery flags every message up to the lease as redelivered, so
// a consumer that deduplicates on the flag never sees a message it may have had come back as new. The
// lease runs LEASE_STEP ids ahead, so one write (and one wait) covers many deliveries. A clean close
// writes 0: the exact delivered-marks in the ack logs are then complete.
//
// File: 16 bytes, u64 lease (big-endian), u32 CRC-32 of those 8 bytes, u32 zero. A file that cannot be
// read back whole and intact means "anything may have been delivered".
import { constants } from 'node:fs'
import { type FileHandle, open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isNotFound, syncDir } from '../fs-util.js'
import { crc32 } from './crc32.js'

export const LEASE_FILE = 'delivery.lease'
/** How far a new lease reaches past the id that asked for it. */
export const LEASE_STEP = 65536
const SIZE = 16

/** The lease a store left on disk: 0 after a clean close, Infinity when unreadable. */
export async function readLease(dir: string): Promise<number> {
  let buf: Buffer
  try {
    buf = await readFile(join(dir, LEASE_FILE))
  } catch (err) {
    if (isNotFound(err)) return 0
    throw err
  }
  if (buf.length !== SIZE || crc32(buf, 0, 8) !== buf.readUInt32BE(8)) return Infinity
  return Number(buf.readBigUInt64BE(0))
}

export class DeliveryLease {
  /** Ids up to this may be delivered without waiting. */
  private granted: number
  private target: number
  private writing: Promise<void> | undefined
  private fh: FileHandle | undefined

  constructor(
    private readonly dir: string,
    granted: number,
  ) {
    this.granted = this.target = granted
  }

  /** Undefined when `id` is covered; else resolves once a lease covering it is on disk. */
  cover(id: number): Promise<void> | undefined {
    if (id <= this.granted) return undefined
    if (this.writing && id <= this.target) return this.writing
    const target = (this.target = id + LEASE_STEP)
    const written = (this.writing ?? Promise.resolve()).then(async () => {
      await this.write(target)
      this.granted = Math.max(this.granted, target)
      if (this.writing === written) this.writing = undefined
    })
    this.writing = written
    return written
  }

  /** Clean close, once every delivered-mark is durable: the next open trusts the ack logs alone. */
  async release(): Promise<void> {
    await this.writing?.catch(() => undefined)
    if (this.fh || this.granted > 0) await this.write(0)
    await this.close()
  }

  async close(): Promise<void> {
    const fh = this.fh
    this.fh = undefined
    await fh?.close()
  }

  private async write(lease: number): Promise<void> {
    const buf = Buffer.alloc(SIZE)
    buf.writeBigUInt64BE(BigInt(lease), 0)
    buf.writeUInt32BE(crc32(buf, 0, 8), 8)
    if (!this.fh) {
      this.fh = await open(join(this.dir, LEASE_FILE), constants.O_RDWR | constants.O_CREAT)
      await syncDir(this.dir) // the file's name must survive a power cut too
    }
    const { bytesWritten } = await this.fh.write(buf, 0, SIZE, 0)
    if (bytesWritten !== SIZE) throw new Error(`short write to ${join(this.dir, LEASE_FILE)}`)
    await this.fh.datasync()
  }
}
