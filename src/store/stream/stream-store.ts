// Where stream queues keep their logs: one directory per stream under the store's root, named as the
// message store names queue directories (a hash of vhost and name, safe whatever the name holds).
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { StreamLog, StreamLogOptions, StreamStore } from '../../core/ports.js'
import { queueDirName } from '../segment/message-store.js'
import { FileStreamLog } from './stream-log.js'

export class FileStreamStore implements StreamStore {
  private readonly logs = new Set<FileStreamLog>()

  constructor(readonly root: string) {
    removeDeletedLeftovers(root)
  }

  open(vhost: string, queue: string, opts: StreamLogOptions): StreamLog {
    const log = new FileStreamLog(join(this.root, queueDirName(vhost, queue)), opts, {
      destroyed: (l) => this.logs.delete(l),
    })
    this.logs.add(log)
    return log
  }

  async close(): Promise<void> {
    for (const log of this.logs) await log.close()
    this.logs.clear()
  }
}

/**
 * A deleted stream's directory is renamed to `<dir>.deleted-...` and then removed (see
 * FileStreamLog.destroy); a broker killed in between leaves it behind, so the next start removes it.
 */
function removeDeletedLeftovers(root: string): void {
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return // no streams yet
  }
  for (const name of names) {
    if (name.includes('.deleted-')) rmSync(join(root, name), { recursive: true, force: true })
  }
}
