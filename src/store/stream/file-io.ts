// Promise forms of the positioned fd calls the stream log uses (fs/promises has them only on FileHandles,
// which cannot be opened synchronously, and a stream log opens its files synchronously at recovery).
import { fdatasync, read, write, writev } from 'node:fs'

export function readAt(fd: number, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length)
  return new Promise((resolve, reject) =>
    read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(buf.subarray(0, n)))),
  )
}

export function writeAt(fd: number, buf: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) =>
    write(fd, buf, 0, buf.length, position, (err, n) => {
      if (err) reject(err)
      else if (n < buf.length) writeAt(fd, buf.subarray(n), position + n).then(resolve, reject)
      else resolve()
    }),
  )
}

export function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())))
}

/** Writes the buffers back to back from `position` in one call (more only after a short write). */
export function writevAt(fd: number, bufs: Buffer[], position: number): Promise<void> {
  return new Promise((resolve, reject) =>
    writev(fd, bufs, position, (err, n) => {
      if (err) return reject(err)
      const total = bufs.reduce((sum, b) => sum + b.length, 0)
      if (n >= total) return resolve()
      const rest = Buffer.concat(bufs).subarray(n)
      writeAt(fd, rest, position + n).then(resolve, reject)
    }),
  )
}
