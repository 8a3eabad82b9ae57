// A session's subscriptions and their MQTT 5 options: the queue each one's messages come through, No Local
// and the Subscription Identifier. A subscription of the session's own queues is a binding to amq.topic,
// and its options are kept in the binding's arguments (`x-mqtt-subscription-opts`, as RabbitMQ 3.13 keeps
// them), so a persistent session gets them back with its queue, after a reconnect or a restart.
import type { Message, Queue } from '../core/index.js'
import { type FieldTable, fieldEquals, fieldNumber } from '../shared/index.js'
import { matchesFilter, toMqtt } from './topics.js'

export interface SubscriptionEntry {
  /** The topic filter it matches (a shared subscription's, without `$share/<group>/`). */
  readonly filter: string
  /** The name of the queue its messages come through. */
  readonly queue: string
  readonly noLocal: boolean
  /** MQTT 5's Subscription Identifier, sent with every message the subscription brings. */
  readonly id: number | undefined
}

const OPTIONS = 'x-mqtt-subscription-opts'

/** The binding arguments that keep a subscription's options (none for a plain subscription). */
export function subscriptionArgs(noLocal: boolean, id: number | undefined): FieldTable {
  if (!noLocal && id === undefined) return {}
  const opts: FieldTable = {}
  if (id !== undefined) opts['id'] = id
  if (noLocal) opts['no-local'] = true
  return { [OPTIONS]: opts }
}

/** Whether two bindings' arguments keep the same subscription options. */
export const sameOptions = (a: FieldTable, b: FieldTable): boolean => fieldEquals(a[OPTIONS], b[OPTIONS])

function optionsOf(args: FieldTable): { noLocal: boolean; id: number | undefined } {
  const opts = args[OPTIONS]
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts) || Buffer.isBuffer(opts))
    return { noLocal: false, id: undefined }
  const table = opts as FieldTable
  return { noLocal: table['no-local'] === true, id: fieldNumber(table['id']) }
}

export class Subscriptions {
  /** By the filter as the client subscribed it (`$share/...` included). */
  private readonly entries = new Map<string, SubscriptionEntry>()
  /** How many entries have an identifier: deliveries look for identifiers only when some do. */
  private withIds = 0
  /** The messages this session published, while it has a No Local subscription. */
  own: WeakSet<Message> | undefined

  has(filter: string): boolean {
    return this.entries.has(filter)
  }

  set(filter: string, entry: SubscriptionEntry): void {
    this.delete(filter)
    this.entries.set(filter, entry)
    if (entry.id !== undefined) this.withIds++
    if (entry.noLocal) this.own ??= new WeakSet()
  }

  /** False when there was no such subscription. */
  delete(filter: string): boolean {
    const old = this.entries.get(filter)
    if (!old) return false
    if (old.id !== undefined) this.withIds--
    return this.entries.delete(filter)
  }

  /** A persistent session's subscriptions, from its queue's bindings to `exchange`. */
  restore(queue: Queue, exchange: string): void {
    for (const b of queue.incoming) {
      if (b.source.name !== exchange) continue
      const filter = toMqtt(b.routingKey)
      this.set(filter, { filter, queue: queue.name, ...optionsOf(b.args) })
    }
  }

  /**
   * The identifiers of the subscriptions through `queue` whose filter matches `topic` (one copy of a
   * message carries them all, §3.3.4), or undefined.
   */
  idsFor(topic: string, queue: string): number[] | undefined {
    if (this.withIds === 0) return undefined
    let ids: number[] | undefined
    for (const s of this.entries.values()) {
      if (s.id === undefined || s.queue !== queue || !matchesFilter(s.filter, topic)) continue
      ;(ids ??= []).push(s.id)
    }
    return ids
  }

  /** The identifier of the subscription to `filter`, for the retained messages it brings. */
  idOf(filter: string): number | undefined {
    return this.entries.get(filter)?.id
  }

  /**
   * MQTT 5's No Local: a message this session published goes back to it through `queue` only if a
   * subscription without No Local through that queue matches its topic.
   */
  isOwnOnly(msg: Message, topic: string, queue: string): boolean {
    if (this.own?.has(msg) !== true) return false
    let matched = false
    for (const s of this.entries.values()) {
      if (s.queue !== queue || !matchesFilter(s.filter, topic)) continue
      if (!s.noLocal) return false
      matched = true
    }
    return matched
  }
}
