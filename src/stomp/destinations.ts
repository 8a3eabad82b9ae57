// RabbitMQ's STOMP destinations: /queue/<name> (a durable queue, declared on first use, reached through the
// default exchange), /amq/queue/<name> (an existing queue, never declared), /topic/<key> (amq.topic),
// /exchange/<name>[/<key>], /temp-queue/<name> (a private reply queue, in reply-to headers only) and
// /reply-queue/<queue> (where a reply to a temp queue is sent). Names may carry %-escapes (%2F for "/").
import { frameError } from './frame.js'

export type Destination =
  | { readonly kind: 'queue'; readonly name: string }
  | { readonly kind: 'amq-queue'; readonly name: string }
  | { readonly kind: 'topic'; readonly key: string }
  | { readonly kind: 'exchange'; readonly exchange: string; readonly key: string }
  | { readonly kind: 'temp-queue'; readonly name: string }
  | { readonly kind: 'reply-queue'; readonly name: string }

const PREFIXES: ReadonlyArray<[string, (rest: string) => Destination | undefined]> = [
  ['/queue/', (r) => named(r, (name) => ({ kind: 'queue', name }))],
  ['/amq/queue/', (r) => named(r, (name) => ({ kind: 'amq-queue', name }))],
  ['/topic/', (r) => (r === '' ? undefined : { kind: 'topic', key: decode(r) })],
  ['/temp-queue/', (r) => named(r, (name) => ({ kind: 'temp-queue', name }))],
  ['/reply-queue/', (r) => named(r, (name) => ({ kind: 'reply-queue', name }))],
  ['/exchange/', exchange],
]

function named(rest: string, make: (name: string) => Destination): Destination | undefined {
  if (rest === '' || rest.includes('/')) return undefined
  return make(decode(rest))
}

function exchange(rest: string): Destination | undefined {
  const slash = rest.indexOf('/')
  const name = decode(slash < 0 ? rest : rest.slice(0, slash))
  const key = slash < 0 ? '' : decode(rest.slice(slash + 1))
  return name === '' ? undefined : { kind: 'exchange', exchange: name, key }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** The destination of a header; RabbitMQ's "Invalid destination" error when it is none of the above. */
export function parseDestination(value: string | undefined, command: string): Destination {
  if (value === undefined)
    throw frameError('Missing destination', `"${command}" must include a "destination" header\n`)
  for (const [prefix, parse] of PREFIXES) {
    if (!value.startsWith(prefix)) continue
    const d = parse(value.slice(prefix.length))
    if (d) return d
    break
  }
  throw frameError(
    'Unknown destination',
    `'${value}' is not a valid destination.\nValid destination types are: /temp-queue, /exchange, /topic, /queue, /amq/queue, /reply-queue/.\n`,
  )
}

/** The exchange and routing key a SEND to `d` publishes with (a reply queue is reached by its name). */
export function publishTarget(d: Destination): { exchange: string; key: string } {
  switch (d.kind) {
    case 'queue':
    case 'amq-queue':
    case 'reply-queue':
      return { exchange: '', key: d.name }
    case 'topic':
      return { exchange: 'amq.topic', key: d.key }
    case 'exchange':
      return { exchange: d.exchange, key: d.key }
    case 'temp-queue':
      throw frameError(
        'Invalid destination',
        `'/temp-queue/${d.name}' is not a valid destination for 'SEND'\n`,
      )
  }
}

/** A destination written back, as a delivery's destination header shows it. */
export function formatDestination(d: Destination): string {
  const e = (s: string): string => s.replace(/%/g, '%25').replace(/\//g, '%2F')
  switch (d.kind) {
    case 'queue':
      return `/queue/${e(d.name)}`
    case 'amq-queue':
      return `/amq/queue/${e(d.name)}`
    case 'topic':
      return `/topic/${d.key}`
    case 'exchange':
      return d.key === '' ? `/exchange/${e(d.exchange)}` : `/exchange/${e(d.exchange)}/${d.key}`
    case 'temp-queue':
      return `/temp-queue/${e(d.name)}`
    case 'reply-queue':
      return `/reply-queue/${e(d.name)}`
  }
}

/**
 * The destination a delivered message shows: where it was published, read back from its exchange and
 * routing key as RabbitMQ does (the default exchange: /queue/<key>; amq.topic: /topic/<key>).
 */
export function deliveredDestination(exchange: string, key: string): string {
  if (exchange === '') return formatDestination({ kind: 'queue', name: key })
  if (exchange === 'amq.topic') return `/topic/${key}`
  return formatDestination({ kind: 'exchange', exchange, key })
}
