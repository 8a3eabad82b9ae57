// Reading warren.conf: RabbitMQ's rabbitmq.conf format (one `key = value` per line, `#` comment lines,
// keys of dot-separated words). No npm parser of this format reports the line a mistake is on, and a
// one-line reason with file:line is the point, so the few rules are kept here.
import { ConfigError } from './config.js'

export interface ConfEntry {
  key: string
  value: string
  line: number
}

const KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_$-]+)*$/

/** The entries of a configuration file, in order; a line that is not `key = value` is an error. */
export function parseConfText(text: string, file: string): ConfEntry[] {
  const entries: ConfEntry[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === '' || line.startsWith('#')) continue
    const at = `${file}:${i + 1}`
    const eq = line.indexOf('=')
    if (eq < 0) throw new ConfigError(`${at}: expected 'key = value', got '${line}'`)
    const key = line.slice(0, eq).trim()
    if (!KEY.test(key))
      throw new ConfigError(`${at}: '${key}' is not a setting name (words separated by dots)`)
    const value = unquote(line.slice(eq + 1).trim())
    if (value === '') throw new ConfigError(`${at}: ${key} has no value`)
    entries.push({ key, value, line: i + 1 })
  }
  return entries
}

/** A value may be written in double quotes (to keep spaces at its ends, say); they are not part of it. */
function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v
}
