export { FileDefinitionStore, openDefinitionStore, DEFINITIONS_FILE } from './file-definition-store.js'
