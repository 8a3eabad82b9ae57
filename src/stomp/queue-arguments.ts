// What a SEND or SUBSCRIBE says of the queue it declares, as RabbitMQ's STOMP plugin reads it: the
// arguments from x- headers (numbers as numbers, x-single-active-consumer as a boolean), and the durable
// (or persistent), auto-delete and exclusive headers with RabbitMQ 3.10's defaults.
import type { FieldTable } from '../shared/index.js'
import type { Headers } from './frame.js'
import { StompError } from './frame.js'

const NUMBERS = new Set([
  'x-expires',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-message-ttl',
  'x-delivery-limit',
])
const STRINGS = new Set([
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-overflow',
  'x-queue-mode',
  'x-queue-type',
  'x-queue-master-locator',
])

export function queueArguments(headers: Headers): FieldTable {
  const args: FieldTable = {}
  for (const [k, v] of headers) {
    if (k in args) continue
    if (STRINGS.has(k)) args[k] = v
    else if (k === 'x-single-active-consumer') args[k] = v === 'true'
    else if (NUMBERS.has(k)) {
      if (!/^\d{1,15}$/.test(v))
        throw new StompError('Invalid header', `header '${k}' must be a number, was '${v}'`)
      args[k] = Number(v)
    }
  }
  return args
}

/** The headers besides x- ones that say something of a declared queue. */
const FLAG_HEADERS = new Set(['durable', 'persistent', 'auto-delete', 'exclusive'])

/** What a frame's headers say of the queue it declares, as one string (equal strings, equal declarations). */
export function declarationKey(headers: Headers): string {
  let key = ''
  for (const [k, v] of headers) if (k.startsWith('x-') || FLAG_HEADERS.has(k)) key += `${k}:${v}\n`
  return key
}

export interface QueueFlags {
  readonly durable: boolean
  readonly autoDelete: boolean
  readonly exclusive: boolean
}

function flag(headers: Headers, ...names: string[]): boolean | undefined {
  for (const [k, v] of headers) if (names.includes(k)) return v === 'true'
  return undefined
}

/**
 * A /queue/ destination's queue, with RabbitMQ 3.10's defaults (checked against it): durable unless
 * exclusive; a queue said not durable is exclusive and auto-delete unless told otherwise.
 */
export function queueFlags(headers: Headers): QueueFlags {
  const exclusiveSaid = flag(headers, 'exclusive')
  const durableSaid = flag(headers, 'durable', 'persistent')
  const durable = durableSaid ?? exclusiveSaid !== true
  const notDurableSaid = durableSaid === false
  return {
    durable,
    autoDelete: flag(headers, 'auto-delete') ?? notDurableSaid,
    exclusive: exclusiveSaid ?? notDurableSaid,
  }
}

/**
 * A topic or exchange subscription's queue: durable with durable:true (or persistent:true), and then
 * auto-delete unless auto-delete:false (a durable subscription that outlives its connection); otherwise
 * transient and auto-delete.
 */
export function subscriptionFlags(headers: Headers): QueueFlags {
  const durable = flag(headers, 'durable', 'persistent') === true
  const autoDelete = !durable || flag(headers, 'auto-delete') !== false
  return { durable, autoDelete, exclusive: false }
}
