// Why a start failed, in one line an operator can act on: `warren server` prints it and exits 1, with no
// stack trace (an unexpected error still names itself; its stack is logged at debug level).
import { ConfigError } from '../config/index.js'

/** A start failure whose message is the whole story (port in use, unreadable file, ...). */
export class StartError extends Error {}
/** A listener could not be opened. */
export class ListenError extends StartError {}

const FS_REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'a file of that name is in the way',
  ENOSPC: 'no space left on the device',
  ENOENT: 'no such file or directory',
}

/** A file-system error in words ("permission denied"), else its message. */
export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  return (e.code && FS_REASONS[e.code]) || e.message
}

/** A file-system error met while opening the data directory, as a StartError. */
export function dataDirError(dir: string, err: unknown): Error {
  if (err instanceof StartError) return err
  const e = err as NodeJS.ErrnoException
  const reason = fsReason(err)
  const where = e.path && e.path !== dir ? ` (${e.path})` : ''
  return new StartError(`cannot use data directory ${dir}: ${reason}${where}`)
}

/** The one line `warren server` prints for a failed start. */
export function describeStartFailure(err: unknown): string {
  if (err instanceof StartError || err instanceof ConfigError) return err.message
  const e = err as NodeJS.ErrnoException
  return `could not start: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`
}
