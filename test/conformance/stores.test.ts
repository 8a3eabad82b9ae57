// The store conformance suite against every MessageStore implementation.
import { after } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MessageStore } from '../../src/core/ports.js'
import {
  createMemoryStore,
  MemoryMessageStore,
  openSegmentStore,
  SegmentMessageStore,
} from '../../src/store/index.js'
import { runStoreConformance } from './store-conformance.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

runStoreConformance(
  'memory',
  () => Promise.resolve(createMemoryStore()),
  // Its data outlives close(): opening queues on the same instance again is the restart.
  (closed: MessageStore) => Promise.resolve(closed as MemoryMessageStore),
)

runStoreConformance(
  'segment',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warren-conformance-'))
    dirs.push(dir)
    // Small segments so that the suite also crosses segment boundaries.
    return openSegmentStore(dir, { segmentSize: 4096 })
  },
  (closed: MessageStore) => openSegmentStore((closed as SegmentMessageStore).dir, { segmentSize: 4096 }),
)
