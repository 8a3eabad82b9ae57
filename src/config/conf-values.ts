// Values as rabbitmq.conf writes them: ports, `address:port` listeners, booleans, and sizes with
// RabbitMQ's memory units (k/KiB, M/MiB, G/GiB are powers of 1024; kB, MB, GB powers of 1000).
import type { LogLevel } from '../shared/index.js'
import { ConfigError, parseLogLevel, parsePort } from './config.js'

export function confPort(v: string): number {
  return parsePort(v, 'port')
}

/** `5672`, `127.0.0.1:5672`, `::1:5672` or `[::1]:5672` (the last colon separates the port). */
export function confListener(v: string): { bind: string | undefined; port: number } {
  if (/^\d+$/.test(v)) return { bind: undefined, port: confPort(v) }
  const colon = v.lastIndexOf(':')
  if (colon <= 0) throw new ConfigError(`'${v}' is not a port or address:port`)
  let bind = v.slice(0, colon)
  if (bind.startsWith('[') && bind.endsWith(']')) bind = bind.slice(1, -1)
  return { bind, port: confPort(v.slice(colon + 1)) }
}

export function confBool(v: string): boolean {
  if (v === 'true') return true
  if (v === 'false') return false
  throw new ConfigError(`expected true or false, got '${v}'`)
}

export function confInt(v: string, min = 0): number {
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new ConfigError(`expected a whole number ≥ ${min}, got '${v}'`)
  return Number(v)
}

/** A fraction such as 0.4 (of RAM). */
export function confFraction(v: string, max: number): number {
  const n = Number(v)
  if (!/^\d*\.?\d+$/.test(v) || n <= 0 || n > max)
    throw new ConfigError(`expected a number above 0 and at most ${max}, got '${v}'`)
  return n
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
}

/** `50000000`, `50MB`, `2GiB`, `512M`. */
export function confBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(v)
  const unit = m ? UNITS[(m[2] as string).toLowerCase()] : undefined
  if (!m || unit === undefined)
    throw new ConfigError(`expected a size such as 50000000, 50MB or 2GiB, got '${v}'`)
  return Math.round(Number(m[1]) * unit)
}

const RABBITMQ_LEVELS: Readonly<Record<string, LogLevel>> = {
  warning: 'warn',
  critical: 'fatal',
  none: 'silent',
}

/** RabbitMQ's level names (debug, info, warning, error, critical, none) and pino's. */
export function confLogLevel(v: string): LogLevel {
  return RABBITMQ_LEVELS[v] ?? parseLogLevel(v)
}
