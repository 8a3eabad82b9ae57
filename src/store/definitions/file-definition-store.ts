// Definitions as one JSON file in RabbitMQ's export shape, so `rabbitmqadmin import` and people can read
// it. Each save replaces the file atomically (temp file, fsync, rename, directory fsync): after a crash
// it holds the old or the new definitions, never a mix. A temp file a crash left behind is ignored by
// load() and overwritten by the next save().
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DefinitionStore, Definitions } from '../../core/ports.js'
import { isNotFound, mkdirDurable, writeFileAtomic } from '../fs-util.js'

export const DEFINITIONS_FILE = 'definitions.json'

export class FileDefinitionStore implements DefinitionStore {
  /** Saves run one after another: they share the temp file, and the last call must win. */
  private chain: Promise<void> = Promise.resolve()

  constructor(readonly path: string) {}

  async load(): Promise<Definitions | undefined> {
    await this.chain.catch(() => undefined)
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if (isNotFound(err)) return undefined
      throw err
    }
    try {
      return JSON.parse(text) as Definitions
    } catch (err) {
      throw new Error(`definitions file ${this.path} is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      })
    }
  }

  save(defs: Definitions): Promise<void> {
    // Serialised now, so later changes to defs by the caller do not leak into the write.
    const text = JSON.stringify(defs, null, 2) + '\n'
    const run = this.chain.catch(() => undefined).then(() => writeFileAtomic(this.path, text))
    this.chain = run
    return run
  }
}

/** A definition store at <dir>/definitions.json, creating dir if needed. */
export async function openDefinitionStore(dir: string): Promise<FileDefinitionStore> {
  await mkdirDurable(dir)
  return new FileDefinitionStore(join(dir, DEFINITIONS_FILE))
}
