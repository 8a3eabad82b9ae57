// What a start does with its settings besides listening: the default user and vhost of a fresh node, the
// definitions file imported at every start (load_definitions), and the settings report of
// `warren ctl environment`.
import { readFile } from 'node:fs/promises'
import type { UserRegistry } from '../auth/index.js'
import { type ConfigSources, DEFAULTS, type WarrenConfig } from '../config/index.js'
import type { Broker } from '../core/index.js'
import type { EnvironmentView, Management } from '../management/index.js'
import type { Logger } from '../shared/index.js'
import type { Persistence } from './persistence.js'
import { StartError } from './start-errors.js'

/** A fresh node's vhost and user: default_vhost, default_user with its tags and permissions. */
export function createDefaults(
  broker: Broker,
  users: UserRegistry,
  config: WarrenConfig,
  persistence: Persistence | undefined,
): void {
  broker.addVhost(config.defaultVhost)
  users.addUser(config.defaultUser, config.defaultPass, config.defaultUserTags)
  users.setPermission(config.defaultUser, config.defaultVhost, { ...config.defaultPermissions })
  persistence?.definitionsChanged()
}

/** Imports the definitions file as POST /api/definitions would; any problem stops the start. */
export async function loadDefinitionsFile(
  path: string,
  management: Management,
  logger: Logger,
): Promise<void> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message
    throw new StartError(`cannot load definitions from ${path}: ${why}`)
  }
  try {
    management.importDefinitions(JSON.parse(text) as unknown)
  } catch (err) {
    throw new StartError(`cannot load definitions from ${path}: ${(err as Error).message}`)
  }
  logger.info({ file: path }, `definitions imported from ${path}`)
}

const SECRETS: ReadonlySet<string> = new Set(['defaultPass'])

/** Every setting with its value (secrets masked) and source, snake_cased as the configuration file's words. */
export function environmentView(
  config: WarrenConfig,
  sources: ConfigSources,
  files: string[],
): EnvironmentView {
  const settings = (Object.keys(DEFAULTS) as Array<keyof WarrenConfig>).map((k) => ({
    name: k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()),
    value: SECRETS.has(k) ? '********' : (config[k] ?? null),
    source: sources[k],
  }))
  return { configFiles: files, settings }
}

/** The sources of an embedded broker's settings: what the program passed, else the defaults. */
export function embeddedSources(given: Partial<WarrenConfig>): ConfigSources {
  const sources = Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, 'default'])) as ConfigSources
  for (const [k, v] of Object.entries(given))
    if (v !== undefined && k in sources) sources[k as keyof WarrenConfig] = 'embedding API'
  return sources
}
