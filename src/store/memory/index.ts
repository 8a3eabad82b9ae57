export { MemoryMessageStore, MemoryQueueStore, createMemoryStore } from './message-store.js'
export { MemoryDefinitionStore, createMemoryDefinitionStore } from './definition-store.js'
