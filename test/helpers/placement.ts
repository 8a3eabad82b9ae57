// Where the messages of a hash or random exchange went: one message per item, its body the item's id,
// then every queue drained. Used by the exchange-type tests, against Warren or the reference RabbitMQ.
import type amqp from 'amqplib'
import { drain } from './target.js'

export interface Item {
  readonly id: string
  readonly routingKey: string
  readonly options?: amqp.Options.Publish
}

/** Items whose routing key is their id. */
export const keys = (prefix: string, n: number): Item[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, routingKey: `${prefix}${i}` }))

/** Publishes the items (confirmed), counting basic.returns. */
export async function publishAll(ch: amqp.ConfirmChannel, exchange: string, items: Item[]): Promise<number> {
  let returned = 0
  const onReturn = (): void => void returned++
  ch.on('return', onReturn)
  for (const it of items) ch.publish(exchange, it.routingKey, Buffer.from(it.id), it.options)
  await ch.waitForConfirms()
  ch.off('return', onReturn)
  return returned
}

/** Publishes the items and drains `queues`: the queue each item went to; fails on a copy or a loss. */
export async function placement(
  ch: amqp.ConfirmChannel,
  exchange: string,
  queues: readonly string[],
  items: Item[],
): Promise<Map<string, string>> {
  await publishAll(ch, exchange, items)
  const where = new Map<string, string>()
  for (const q of queues) {
    for (const id of await drain(ch, q)) {
      if (where.has(id)) throw new Error(`${id} reached both ${where.get(id)} and ${q}`)
      where.set(id, q)
    }
  }
  if (where.size !== items.length) throw new Error(`${items.length - where.size} messages reached no queue`)
  return where
}

/** How many messages each queue got, in the order of `queues`. */
export function tally(where: Map<string, string>, queues: readonly string[]): number[] {
  const n = queues.map(() => 0)
  for (const q of where.values()) {
    const i = queues.indexOf(q)
    n[i] = (n[i] ?? 0) + 1
  }
  return n
}

/** Ready counts of the queues, in order. */
export async function counts(ch: amqp.Channel, queues: readonly string[]): Promise<number[]> {
  const out: number[] = []
  for (const q of queues) out.push((await ch.checkQueue(q)).messageCount)
  return out
}

/** `n` exclusive server-named queues. */
export async function exclusiveQueues(ch: amqp.Channel, n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push((await ch.assertQueue('', { exclusive: true })).queue)
  return out
}
