// Super streams, for every front end that makes them (the Stream protocol, the HTTP API, `warren ctl`): a
// durable direct exchange marked x-super-stream, with one stream per partition bound to it by its routing
// key, each binding carrying its partition's place (x-stream-partition-order), as RabbitMQ lays them out.
// Made and removed through a Session, so the same permissions and limits apply as to queues and
// exchanges declared one by one.
import { type FieldTable, NotFoundError, PreconditionFailedError, TypedValue } from '../shared/index.js'
import type { Binding, Exchange } from './exchange/index.js'
import type { Session } from './session.js'
import type { VHost } from './vhost.js'

export const PARTITION_ORDER = 'x-stream-partition-order'
export const SUPER_STREAM_ARG = 'x-super-stream'

export interface SuperStreamSpec {
  readonly name: string
  /** Partition stream names and their binding keys, in partition order. */
  readonly partitions: readonly string[]
  readonly bindingKeys: readonly string[]
  /** Arguments of every partition stream (x-max-length-bytes, x-max-age, ...). */
  readonly args: FieldTable
}

/**
 * RabbitMQ's layouts (rabbitmq-streams add_super_stream): `partitions: n` makes `<name>-0` .. `<name>-(n-1)`
 * bound with keys `0` .. `n-1`; binding keys `a,b` make `<name>-a` and `<name>-b` bound with `a` and `b`.
 */
export function superStreamLayout(
  name: string,
  partitions: number | undefined,
  bindingKeys: readonly string[] | undefined,
): { partitions: string[]; bindingKeys: string[] } {
  if (bindingKeys !== undefined && bindingKeys.length > 0) {
    if (partitions !== undefined)
      throw new PreconditionFailedError('specify partitions or binding keys, not both')
    return { partitions: bindingKeys.map((k) => `${name}-${k}`), bindingKeys: [...bindingKeys] }
  }
  const n = partitions ?? 3
  if (!Number.isInteger(n) || n < 1)
    throw new PreconditionFailedError('partitions must be a positive integer')
  const keys = Array.from({ length: n }, (_, i) => String(i))
  return { partitions: keys.map((k) => `${name}-${k}`), bindingKeys: keys }
}

/** Creates the exchange and its partitions; refuses a super stream whose exchange or a partition exists. */
export function declareSuperStream(
  session: Session,
  vhost: VHost,
  spec: SuperStreamSpec,
  owner: number,
): void {
  const { name, partitions, bindingKeys, args } = spec
  if (partitions.length === 0 || partitions.length !== bindingKeys.length)
    throw new PreconditionFailedError('a super stream needs one binding key per partition')
  if (vhost.exchanges.has(name)) throw new PreconditionFailedError(`super stream '${name}' already exists`)
  const taken = partitions.find((p) => vhost.queues.has(p))
  if (taken !== undefined) throw new PreconditionFailedError(`stream '${taken}' already exists`)
  const streamArgs = { ...args, 'x-queue-type': 'stream' }
  session.declareExchange({
    name,
    type: 'direct',
    passive: false,
    durable: true,
    autoDelete: false,
    internal: false,
    args: { [SUPER_STREAM_ARG]: true },
  })
  partitions.forEach((p, i) => {
    session.declareQueue(
      {
        name: p,
        passive: false,
        durable: true,
        exclusiveOwner: undefined,
        autoDelete: false,
        args: streamArgs,
      },
      owner,
    )
    session.bindQueue(p, name, bindingKeys[i] as string, { [PARTITION_ORDER]: i }, owner)
  })
}

/** Deletes the partitions of a super stream and then its exchange. */
export function deleteSuperStream(session: Session, vhost: VHost, name: string, owner: number): void {
  const ex = superStreamExchange(vhost, name)
  for (const b of partitionBindings(ex)) {
    if (vhost.queues.has(b.destination.name)) session.deleteQueue(b.destination.name, owner, false, false)
  }
  session.deleteExchange(name, false)
}

export function superStreamExchange(vhost: VHost, name: string): Exchange {
  const ex = vhost.exchanges.get(name)
  if (!ex) throw new NotFoundError(`super stream '${name}' does not exist`)
  return ex
}

/** The partition bindings of a super stream, in partition order. */
export function partitionBindings(ex: Exchange): Binding[] {
  return ex.bindings
    .filter((b) => b.destination.kind === 'queue')
    .sort((a, b) => partitionOrder(a) - partitionOrder(b))
}

/** A binding's partition order: a number, or digits in a string (as the HTTP API's JSON gives it). */
export function partitionOrder(b: Binding): number {
  const v = b.args[PARTITION_ORDER]
  if (v instanceof TypedValue) return Number(v.value)
  if (typeof v === 'number') return v
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0
}
