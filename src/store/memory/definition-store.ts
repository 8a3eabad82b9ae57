// The reference definition store. It keeps a deep copy, as the file store keeps a serialised one, so that
// a caller changing its objects after save() cannot change what was "stored".
import type { DefinitionStore, Definitions } from '../../core/ports.js'

export class MemoryDefinitionStore implements DefinitionStore {
  private defs: Definitions | undefined

  constructor(initial?: Definitions) {
    this.defs = initial && structuredClone(initial)
  }

  load(): Promise<Definitions | undefined> {
    return Promise.resolve(this.defs && structuredClone(this.defs))
  }

  save(defs: Definitions): Promise<void> {
    this.defs = structuredClone(defs)
    return Promise.resolve()
  }
}

export function createMemoryDefinitionStore(initial?: Definitions): MemoryDefinitionStore {
  return new MemoryDefinitionStore(initial)
}
