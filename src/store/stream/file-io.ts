// Promise forms of the positioned fd calls the stream log uses (fs/promises has them only on FileHandles,
// which cannot be opened synchronously, and a stream log opens its files synchronously at recovery).
import { fdatasync, read, write } from 'node:fs'

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
