// The logging surface the broker uses. pino satisfies it; tests can pass a silent one.
import { pino } from 'pino'
import pretty from 'pino-pretty'

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']

export interface LogFn {
  (msg: string): void
  (obj: object, msg?: string): void
}

export interface Logger {
  trace: LogFn
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  fatal: LogFn
  child(bindings: Record<string, unknown>): Logger
}

export interface LoggerOptions {
  level: LogLevel
  /** Human-readable single lines instead of JSON. */
  pretty?: boolean
}

export function createLogger(opts: LoggerOptions): Logger {
  const options = { level: opts.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }
  if (!opts.pretty) return pino(options)
  // Written synchronously so that a line logged just before a failed start is not lost on exit.
  const stream = pretty({
    sync: true,
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  })
  return pino(options, stream)
}

export const silentLogger: Logger = pino({ level: 'silent' })
