// Where each setting comes from, and which source wins: command-line flags over the environment over the
// configuration file over the defaults. The winning source of every setting is kept for
// `warren ctl environment`.
import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { closestName } from '../shared/index.js'
import { applySetting, SETTING_NAMES, type Settings } from './conf-keys.js'
import { parseConfText } from './conf-file.js'
import { ConfigError, DEFAULTS, resolveConfig, type WarrenConfig } from './config.js'

export type SettingName = keyof WarrenConfig
/** For each setting: 'default', 'file:line', 'env NAME', 'flag --name' or 'embedding API'. */
export type ConfigSources = Record<SettingName, string>

export interface ConfigLayer {
  values: Settings
  origins: Partial<Record<SettingName, string>>
}

/** The settings of a warren.conf file; any mistake is a ConfigError naming the file and line. */
export async function readConfFile(path: string): Promise<ConfigLayer> {
  const text = await readConfigText(path)
  const values: Settings = {}
  const origins: Partial<Record<SettingName, string>> = {}
  for (const { key, value, line } of parseConfText(text, path)) {
    const before = { ...values }
    try {
      applySetting(key, value, values)
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      throw new ConfigError(`${path}:${line}: ${err.message}${didYouMean(key, err.message)}`)
    }
    for (const k of Object.keys(values) as SettingName[])
      if (values[k] !== before[k]) origins[k] = `${path}:${line}`
  }
  return { values, origins }
}

/** Settings from flags (commander's camel-cased names), labelled with the flag. */
export function flagLayer(flags: Settings): ConfigLayer {
  const origins: Partial<Record<SettingName, string>> = {}
  for (const k of Object.keys(flags) as SettingName[]) {
    if (flags[k] !== undefined) origins[k] = `flag --${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`
  }
  return { values: flags, origins }
}

/** The settings in effect and where each came from; later layers win. */
export function combineLayers(layers: readonly ConfigLayer[]): {
  config: WarrenConfig
  sources: ConfigSources
} {
  const config = resolveConfig(...layers.map((l) => l.values))
  const sources = Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, 'default'])) as ConfigSources
  for (const layer of layers) Object.assign(sources, layer.origins)
  return { config, sources }
}

async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // RABBITMQ_CONFIG_FILE is often given without its .conf extension.
    if (code === 'ENOENT' && extname(path) === '')
      return readConfigText(`${path}.conf`).catch(() => notFound(path))
    if (code === 'ENOENT') notFound(path)
    if (code === 'EACCES') throw new ConfigError(`cannot read configuration file ${path}: permission denied`)
    if (code === 'EISDIR') throw new ConfigError(`configuration file ${path} is a directory`)
    throw new ConfigError(`cannot read configuration file ${path}: ${(err as Error).message}`)
  }
}

function notFound(path: string): never {
  throw new ConfigError(`configuration file ${path} not found`)
}

function didYouMean(key: string, message: string): string {
  if (!message.startsWith('unknown setting')) return ''
  const near = closestName(key, SETTING_NAMES)
  return near ? ` (did you mean '${near}'?)` : ''
}
