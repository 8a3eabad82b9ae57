// Implementations of core's storage ports. Only src/boot picks one; tests use the memory ones.
export { MemoryMessageStore, MemoryQueueStore, createMemoryStore } from './memory/index.js'
export { MemoryDefinitionStore, createMemoryDefinitionStore } from './memory/index.js'
export {
  SegmentMessageStore,
  SegmentQueueStore,
  openSegmentStore,
  queueDirName,
  type SegmentStoreOptions,
  type RecoveryIssue,
} from './segment/index.js'
export { FileDefinitionStore, openDefinitionStore, DEFINITIONS_FILE } from './definitions/index.js'
export { DeferredQueueStore } from './deferred-queue-store.js'
export { FileStreamStore, FileStreamLog } from './stream/index.js'
