// The queues (and fanout exchange) of a throughput run: declared with unique names before it, deleted after
// it, and the plan of who publishes where and who consumes what.
import type { FieldTable } from '../shared/index.js'
import { CHANNEL, type PerfConnection } from './connection.js'
import { withTimeout } from './util.js'

export interface TopologyOptions {
  readonly publishers: number
  readonly consumers: number
  readonly queues: number
  /** > 0: publish to a fanout exchange bound to this many queues (then `queues` is ignored). */
  readonly fanout: number
  readonly durable: boolean
  /** Messages each publisher sends in a counted run (0: not counted). */
  readonly count: number
  /** Publish through an exchange of this type, each queue bound with its name as the key. */
  readonly exchangeType?: string | undefined
  readonly exchangeArgs?: FieldTable | undefined
  /** Arguments of every queue (x-queue-type, ...). */
  readonly queueArgs?: FieldTable | undefined
}

export interface Plan {
  readonly queues: string[]
  readonly exchange: string
  readonly exchangeType: string
  readonly exchangeArgs: FieldTable
  readonly queueArgs: FieldTable
  /** Routing key of each publisher. */
  readonly publisherKeys: string[]
  /** Queue of each consumer. */
  readonly consumerQueues: string[]
  /** Deliveries the consumers will get in a counted run (messages to queues nobody consumes are left). */
  readonly expectedDeliveries: number
}

export function planTopology(runId: string, o: TopologyOptions): Plan {
  const nq = o.fanout > 0 ? o.fanout : Math.max(1, o.queues)
  const queues = Array.from({ length: nq }, (_, i) => `${runId}-q${i}`)
  const exchangeType = o.fanout > 0 ? 'fanout' : (o.exchangeType ?? '')
  const exchange = exchangeType ? `${runId}-${exchangeType}` : ''
  const publisherKeys = Array.from({ length: o.publishers }, (_, i) =>
    o.fanout > 0 ? '' : (queues[i % nq] as string),
  )
  const consumerQueues = Array.from({ length: o.consumers }, (_, i) => queues[i % nq] as string)
  const consumed = new Set(consumerQueues)
  let expected = 0
  if (o.fanout > 0) expected = o.publishers * o.count * consumed.size
  else for (const key of publisherKeys) if (consumed.has(key)) expected += o.count
  const exchangeArgs = o.exchangeArgs ?? {}
  const queueArgs = o.queueArgs ?? {}
  return {
    queues,
    exchange,
    exchangeType,
    exchangeArgs,
    queueArgs,
    publisherKeys,
    consumerQueues,
    expectedDeliveries: expected,
  }
}

export async function declareTopology(conn: PerfConnection, plan: Plan, durable: boolean): Promise<void> {
  for (const queue of plan.queues) {
    await conn.call(
      CHANNEL,
      {
        name: 'queue.declare',
        queue,
        passive: false,
        durable,
        exclusive: false,
        autoDelete: false,
        noWait: false,
        arguments: plan.queueArgs,
      },
      'queue.declare-ok',
    )
  }
  if (!plan.exchange) return
  await conn.call(
    CHANNEL,
    {
      name: 'exchange.declare',
      exchange: plan.exchange,
      type: plan.exchangeType,
      passive: false,
      durable,
      autoDelete: false,
      internal: false,
      noWait: false,
      arguments: plan.exchangeArgs,
    },
    'exchange.declare-ok',
  )
  for (const queue of plan.queues) {
    await conn.call(
      CHANNEL,
      { name: 'queue.bind', queue, exchange: plan.exchange, routingKey: queue, noWait: false, arguments: {} },
      'queue.bind-ok',
    )
  }
}

/** Deletes what declareTopology made; a broker that does not answer within 5 s per step is left alone. */
export async function deleteTopology(conn: PerfConnection, plan: Plan): Promise<string[]> {
  const problems: string[] = []
  const step = async (what: string, p: () => Promise<unknown>): Promise<void> => {
    try {
      await withTimeout(p(), 5000, what)
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`)
    }
  }
  for (const queue of plan.queues) {
    if (conn.error || problems.length > 0) break
    await step(`queue.delete ${queue}`, () =>
      conn.call(
        CHANNEL,
        { name: 'queue.delete', queue, ifUnused: false, ifEmpty: false, noWait: false },
        'queue.delete-ok',
      ),
    )
  }
  if (plan.exchange && !conn.error && problems.length === 0) {
    await step(`exchange.delete ${plan.exchange}`, () =>
      conn.call(
        CHANNEL,
        { name: 'exchange.delete', exchange: plan.exchange, ifUnused: false, noWait: false },
        'exchange.delete-ok',
      ),
    )
  }
  return problems
}
