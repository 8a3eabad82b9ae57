export {
  SegmentMessageStore,
  openSegmentStore,
  queueDirName,
  type SegmentStoreOptions,
} from './message-store.js'
export { SegmentQueueStore } from './queue-store.js'
export type { RecoveryIssue } from './recovery.js'
