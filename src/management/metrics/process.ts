// What the operating system says about the broker process, under the rabbitmq_prometheus names that have
// a meaning outside Erlang: open and allowed file descriptors, resident memory, uptime.
import { readdirSync, readFileSync } from 'node:fs'

/** Open file descriptors (Linux: /proc/self/fd); undefined where that cannot be read. */
export function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return undefined
  }
}

/** The soft limit on open files (Linux: /proc/self/limits); undefined where that cannot be read. */
export function maxFds(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    if (!m || m[1] === 'unlimited') return undefined
    return Number(m[1])
  } catch {
    return undefined
  }
}

export function residentMemory(): number {
  return process.memoryUsage.rss()
}

/** Seconds since the process started, to the millisecond (RabbitMQ's node uptime is as precise). */
export function uptimeSeconds(): number {
  return Math.round(process.uptime() * 1000) / 1000
}
