// x-consistent-hash, as RabbitMQ's rabbitmq_consistent_hash_exchange plugin (3.10) defines it. Each
// message goes to one bound destination, picked by hashing its routing key, or the header named by the
// exchange's hash-header argument, or the property named by hash-property (message_id, correlation_id,
// timestamp). A binding's key is its weight: a destination bound with "3" gets three times the buckets
// of one bound with "1" (bucket-ring.ts). A message without that header or property hashes as "absent",
// so all such messages go to one destination, as in the plugin; a header of void value is a value.
import {
  describeType,
  erlangBinaryTerm,
  type FieldValue,
  PreconditionFailedError,
} from '../../shared/index.js'
import type { Message } from '../message.js'
import { BucketRing } from './bucket-ring.js'
import {
  argKey,
  type Binding,
  type Destination,
  Exchange,
  type ExchangeOptions,
  type RouteSink,
} from './exchange.js'
import type { ExchangeType } from './exchange-type.js'
import { hashText } from './key-hash.js'

const HASH_PROPERTIES: readonly string[] = ['correlation_id', 'message_id', 'timestamp']

type HashOn =
  | { readonly kind: 'routing-key' }
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'property'; readonly name: string }

// Seeds keep the kinds of hashed value apart, so that the header "5" (a string) and the header 5 (a
// number), or an absent header and an empty one, need not land together, as they need not in RabbitMQ.
const STRING_SEED = 0x2f6b1c35
const OTHER_SEED = 0x5bd1e995
const ABSENT = hashText('', 0x1b873593)

export class ConsistentHashExchange extends Exchange {
  readonly type: string = 'x-consistent-hash'
  override readonly routesPerMessage = true
  private readonly ring = new BucketRing<Destination>()
  private readonly hashOn: HashOn

  constructor(opts: ExchangeOptions) {
    super(opts)
    this.hashOn = hashOnOf(opts)
  }

  route(msg: Message, routingKey: string, sink: RouteSink): void {
    if (this.ring.size === 0) return
    const dest = this.ring.pick(this.keyHash(msg, routingKey))
    if (dest) sink.add(dest)
  }

  protected indexAdd(b: Binding): void {
    // The key was checked by validateBinding; one that was not (nothing should bind past it) is skipped.
    const weight = parseWeight(b.routingKey)
    if (weight !== undefined) this.ring.add(b.destination, weight)
  }

  /**
   * As in the plugin, removing any binding of a destination takes all its buckets, even when another
   * binding to it (with another key) remains: that one was never on the ring.
   */
  protected indexRemove(b: Binding): void {
    this.ring.remove(b.destination)
  }

  private keyHash(msg: Message, routingKey: string): number {
    const on = this.hashOn
    if (on.kind === 'routing-key') return hashText(routingKey)
    if (on.kind === 'header') {
      const headers = msg.properties.headers
      return headers && Object.hasOwn(headers, on.name) ? valueHash(headers[on.name]) : ABSENT
    }
    const p = msg.properties
    const v =
      on.name === 'message_id' ? p.messageId : on.name === 'correlation_id' ? p.correlationId : p.timestamp
    // RabbitMQ hashes a timestamp as its decimal text.
    return v === undefined ? ABSENT : hashText(String(v), STRING_SEED)
  }
}

/** Per message: a string (the usual header) is hashed in place; other values are serialised first. */
function valueHash(v: FieldValue | undefined): number {
  if (v === undefined) return ABSENT
  if (typeof v === 'string') return hashText(v, STRING_SEED)
  return hashText(JSON.stringify(argKey(v)), OTHER_SEED)
}

function hashOnOf(opts: ExchangeOptions): HashOn {
  const header = stringArg(opts, 'hash-header')
  if (header !== undefined) return { kind: 'header', name: header }
  const property = stringArg(opts, 'hash-property')
  if (property !== undefined) return { kind: 'property', name: property }
  return { kind: 'routing-key' }
}

/**
 * RabbitMQ's checks of a new exchange's arguments, with its texts. RabbitMQ 3.10 crashes (541
 * INTERNAL_ERROR) on a hash-header or hash-property that is not a string; Warren answers 406 instead.
 */
function validateArgs(opts: ExchangeOptions): void {
  const header = stringArg(opts, 'hash-header')
  const property = stringArg(opts, 'hash-property')
  if (header !== undefined && property !== undefined) {
    throw new PreconditionFailedError('hash-header and hash-property are mutually exclusive')
  }
  if (property !== undefined && !HASH_PROPERTIES.includes(property)) {
    throw new PreconditionFailedError(`Unsupported property: ${property}`)
  }
}

function stringArg(opts: ExchangeOptions, arg: string): string | undefined {
  const v = opts.args[arg]
  if (v === undefined || typeof v === 'string') return v
  throw new PreconditionFailedError(
    `invalid type '${describeType(v)}' for arg '${arg}' in exchange '${opts.name}' in vhost '${opts.vhost}'`,
  )
}

/** A binding key's weight, read as Erlang's list_to_integer reads it ("+3" and "007" are fine). */
function parseWeight(key: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(key)) return undefined
  const weight = Number(key)
  return weight >= 1 ? weight : undefined
}

function validateWeight(key: string): void {
  if (parseWeight(key) !== undefined) return
  if (!/^[+-]?[0-9]+$/.test(key)) {
    throw new PreconditionFailedError(`The binding key must be an integer: ${erlangBinaryTerm(key)}`)
  }
  throw new PreconditionFailedError('The binding key must be greater than 0')
}

export const consistentHashExchangeType: ExchangeType = {
  name: 'x-consistent-hash',
  description: 'Consistent Hashing Exchange',
  create: (opts) => new ConsistentHashExchange(opts),
  validate: validateArgs,
  validateBinding: (_args, routingKey) => validateWeight(routingKey),
}
