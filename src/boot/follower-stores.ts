// The stores a follower copies the leader's state into: the same ones a broker opens on the directory, so
// that the node can lead on them after a failover. A full sync starts from an empty directory.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { LocalStores } from '../cluster/index.js'
import type { Logger } from '../shared/index.js'
import {
  DEFINITIONS_FILE,
  DeferredQueueStore,
  openDefinitionStore,
  openSegmentStore,
} from '../store/index.js'

export async function openFollowerStores(dir: string, logger: Logger): Promise<LocalStores> {
  await rm(join(dir, 'queues'), { recursive: true, force: true })
  await rm(join(dir, DEFINITIONS_FILE), { force: true })
  const definitions = await openDefinitionStore(dir)
  const messages = await openSegmentStore(join(dir, 'queues'), { logger })
  return {
    openQueue: (vhost, queue) => new DeferredQueueStore(messages.openQueue(vhost, queue)),
    saveDefinitions: (defs) =>
      defs ? definitions.save(defs) : rm(join(dir, DEFINITIONS_FILE), { force: true }),
    close: () => messages.close(),
  }
}
