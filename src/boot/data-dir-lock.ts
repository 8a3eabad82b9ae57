// One broker per data directory: a second one writing the same files would corrupt them. The lock is a
// file holding the owner's pid, created exclusively; a lock left by a process that is gone (killed with
// -9, say) is taken over.
import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

export class DataDirInUseError extends Error {}

const LOCK_FILE = 'warren.lock'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the data directory's lock; resolves with a function that releases it. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx')
      await fh.writeFile(`${process.pid}\n`)
      await fh.sync()
      await fh.close()
      return () => rm(path, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim())
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DataDirInUseError(`data directory ${dir} is in use by another Warren broker (pid ${owner})`)
      }
      await rm(path, { force: true }) // a stale lock: its broker is gone
    }
  }
  throw new DataDirInUseError(`cannot take the lock of data directory ${dir}`)
}
