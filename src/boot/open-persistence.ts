// Opening the data directory: the definitions file, the lock that keeps a second broker out, the message
// store of durable queues and the paging store of the others. Any file-system refusal becomes one line
// naming the directory and the reason.
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { UserRegistry } from '../auth/index.js'
import type { Broker, DefinitionStore, MessageStore } from '../core/index.js'
import type { Logger } from '../shared/index.js'
import { openDefinitionStore, openSegmentStore, type SegmentStoreOptions } from '../store/index.js'
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js'
import { Persistence } from './persistence.js'
import type { ResourceMonitor } from './resource-monitor.js'
import { dataDirError, StartError } from './start-errors.js'

/** What a cluster leader puts between the broker and its own stores (replication). */
export interface StoreWrappers {
  messages(own: MessageStore): MessageStore
  definitions(own: DefinitionStore): DefinitionStore
}

export async function openPersistence(
  dataDir: string,
  broker: Broker,
  users: UserRegistry,
  logger: Logger,
  monitor: ResourceMonitor,
  wrap?: StoreWrappers,
): Promise<Persistence> {
  const dir = resolve(dataDir)
  const warnNoSpace = atMostEvery(5000, () =>
    logger.warn('the file system of the data directory is full: publishes are nacked, writes retried'),
  )
  const watch: Pick<SegmentStoreOptions, 'onAppend' | 'onWritten' | 'onNoSpace'> = {
    onAppend: (n) => monitor.appended(n),
    onWritten: (n) => monitor.written(n),
    onNoSpace: () => {
      warnNoSpace()
      void monitor.checkDisk()
    },
  }
  try {
    // The definition store creates the directory durably (its parent's entry fsynced too).
    const ownDefinitions = await openDefinitionStore(dir)
    const definitions = wrap ? wrap.definitions(ownDefinitions) : ownDefinitions
    const unlock = await lockDataDir(dir).catch((err: unknown) => {
      throw err instanceof DataDirInUseError ? new StartError(err.message) : err
    })
    const ownMessages = await openSegmentStore(join(dir, 'queues'), { logger, ...watch })
    const messages = wrap ? wrap.messages(ownMessages) : ownMessages
    // Messages of non-durable queues paged out under memory pressure do not outlive the process.
    const pagingDir = join(dir, 'paging')
    await rm(pagingDir, { recursive: true, force: true })
    const paging = await openSegmentStore(pagingDir, { logger, ...watch, fsync: false })
    logger.info({ dataDir: dir }, `data directory ${dir}`)
    return new Persistence(broker, users, definitions, messages, logger, unlock, paging)
  } catch (err) {
    throw dataDirError(dir, err)
  }
}

function atMostEvery(ms: number, fn: () => void): () => void {
  let last = -Infinity
  return () => {
    if (Date.now() - last < ms) return
    last = Date.now()
    fn()
  }
}
