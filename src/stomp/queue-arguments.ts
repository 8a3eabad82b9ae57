// The queue arguments a SEND or SUBSCRIBE may give the queue it declares, as RabbitMQ's STOMP plugin
// reads them from x- headers (numbers as numbers, x-single-active-consumer as a boolean).
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
