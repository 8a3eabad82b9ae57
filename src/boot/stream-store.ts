// Where stream queues keep their logs: `streams/` in the data directory, or, for an embedded broker
// that keeps nothing on disk, a temporary directory deleted when it stops (a stream is a log on disk
// whatever the broker keeps: that is what keeps its memory flat however long it grows).
import { mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { FileStreamStore } from '../store/index.js'

export interface StreamStorage {
  readonly store: FileStreamStore
  close(): Promise<void>
}

export function openStreamStorage(dataDir: string | undefined): StreamStorage {
  const temporary = dataDir === undefined
  const root = temporary ? mkdtempSync(join(tmpdir(), 'warren-streams-')) : join(resolve(dataDir), 'streams')
  const store = new FileStreamStore(root)
  return {
    store,
    close: async () => {
      await store.close()
      if (temporary) await rm(root, { recursive: true, force: true })
    },
  }
}
