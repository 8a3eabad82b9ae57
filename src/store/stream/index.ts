// Stream queues' on-disk logs: segments of chunks with an index by offset and time.
export { FileStreamStore } from './stream-store.js'
export { FileStreamLog } from './stream-log.js'
