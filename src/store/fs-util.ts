// Crash-safe file operations shared by the store implementations. Replacing a file: write a temp file,
// fsync it, rename it over the target, fsync the directory. After a crash the target holds the old or the
// new contents, never a mix; a temp file left behind is simply overwritten by the next write.
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp`
  try {
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    // A failed write (a full disk) leaves nothing behind; the target keeps its old contents.
    await unlinkIfExists(tmp).catch(() => undefined)
    throw err
  }
  await syncDir(dirname(path))
}

/**
 * mkdir -p whose result survives a power cut: the parent of every directory it creates is fsynced, since
 * a directory's entry lives in its parent (fsyncs inside the new directory do not cover it).
 */
export async function mkdirDurable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true })
  if (first === undefined) return
  for (let d = dir; ; d = dirname(d)) {
    await syncDir(dirname(d))
    if (d === first || dirname(d) === d) return
  }
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
