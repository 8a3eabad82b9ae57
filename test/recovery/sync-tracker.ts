// Preloaded into a `warren server` child (node --import) by the crash test to simulate power loss: every
// completed fsync/fdatasync is recorded, with the file's path and its size when the sync began, in the
// file named by WARREN_SYNC_LOG (appended synchronously, so the record is on file before the store goes
// on to send confirms). After a SIGKILL the test cuts every segment file and ack log back towards its last
// synced size: bytes no completed sync covered are what a power cut may lose. Linux only (/proc/self/fd).
import fs, { appendFileSync, fstatSync, readlinkSync } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'

const log = process.env['WARREN_SYNC_LOG']
if (log) {
  const probe = await open(process.execPath, 'r')
  const proto = Object.getPrototypeOf(probe) as Record<
    'sync' | 'datasync',
    (this: FileHandle) => Promise<void>
  >
  await probe.close()
  for (const name of ['sync', 'datasync'] as const) {
    const original = proto[name]
    proto[name] = async function (this: FileHandle): Promise<void> {
      const path = readlinkSync(`/proc/self/fd/${this.fd}`)
      const size = fstatSync(this.fd).size
      await original.call(this)
      appendFileSync(log, `${JSON.stringify({ path, size })}\n`)
    }
  }
  // The stream log syncs through the callback API on plain fds (it opens its files synchronously).
  for (const name of ['fsync', 'fdatasync'] as const) {
    const original = fs[name]
    fs[name] = ((fd: number, done: (err: NodeJS.ErrnoException | null) => void): void => {
      const path = readlinkSync(`/proc/self/fd/${fd}`)
      const size = fstatSync(fd).size
      original(fd, (err) => {
        if (!err) appendFileSync(log, `${JSON.stringify({ path, size })}\n`)
        done(err)
      })
    }) as typeof fs.fdatasync
  }
  syncBuiltinESMExports()
}
