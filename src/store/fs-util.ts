// Crash-safe file operations shared by the store implementations. Replacing a file: write a temp file,
// fsync it, rename it over the target, fsync the directory. After a crash the target holds the old or the
// new contents, never a mix; a temp file left behind is simply overwritten by the next write.
import { randomBytes } from 'node:crypto'
import { open, rename, rm, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  await syncDir(dirname(path))
}

/** Makes creations, renames and deletions in dir durable (fsync of a file does not cover its name). */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT'
}

/**
 * Deletes a directory tree so that a crash midway never leaves a partial tree under the old name: it is
 * renamed aside first (atomic), then removed. Leftovers are named `<name>.deleting-*`.
 */
export async function removeDirDurably(dir: string): Promise<void> {
  const aside = `${dir}.deleting-${randomBytes(4).toString('hex')}`
  await rename(dir, aside)
  await syncDir(dirname(dir))
  await rm(aside, { recursive: true, force: true })
}
