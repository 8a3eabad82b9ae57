// A session's SUBSCRIBE and UNSUBSCRIBE entries as bindings and consumers: a subscription binds the
// session's queue of its QoS to amq.topic, its MQTT 5 options in the binding's arguments (a subscription
// to the same filter replaces the earlier one, whatever its QoS or options); a shared subscription joins
// its group's queue (shared-subscriptions.ts). The table of subscriptions (subscriptions.ts) is what
// deliveries read: identifiers and No Local.
import type { Queue } from '../core/index.js'
import { BrokerError, type FieldTable, type Logger } from '../shared/index.js'
import type { QoS } from './packets.js'
import {
  parseShared,
  type SharedFilter,
  type SharedHost,
  SharedSubscriptions,
} from './shared-subscriptions.js'
import { sameOptions, subscriptionArgs, Subscriptions } from './subscriptions.js'
import { toAmqp, validFilter } from './topics.js'

/** MQTT 5 SUBACK reason codes for refusals (a 3.1.1 client gets 0x80 for all of them). */
export const SUBSCRIBE_REFUSED = {
  unspecified: 0x80,
  notAuthorized: 0x87,
  invalidFilter: 0x8f,
} as const

/** A SUBSCRIBE entry's MQTT 5 options that the session keeps. */
export interface SubscribeOptions {
  readonly noLocal?: boolean | undefined
  readonly id?: number | undefined
}

/** What subscribing needs from the client's session. */
export interface SubscribingSession extends SharedHost {
  queueName(qos: 0 | 1): string
  /** The session's queue of `qos`, declared and consumed when it is not yet. */
  consume(qos: 0 | 1): Queue
}

export class SessionSubscriptions {
  readonly table = new Subscriptions()
  readonly shared: SharedSubscriptions

  constructor(
    private readonly host: SubscribingSession,
    private readonly exchange: string,
    private readonly v5: boolean,
    private readonly logger: Logger,
  ) {
    this.shared = new SharedSubscriptions(host, exchange)
  }

  /**
   * One SUBSCRIBE entry: the QoS granted (QoS 2 downgraded to 1) or a refusal (SUBSCRIBE_REFUSED), and
   * whether the subscription is new (MQTT 5's retain handling 1 sends retained messages only then).
   */
  subscribe(filter: string, qos: QoS, options: SubscribeOptions = {}): { code: number; isNew: boolean } {
    const shared = this.sharedFilter(filter)
    if (shared === 'invalid' || (!shared && !validFilter(filter)))
      return { code: SUBSCRIBE_REFUSED.invalidFilter, isNew: false }
    const granted = qos === 0 ? 0 : 1
    const noLocal = options.noLocal === true
    try {
      const isNew = !this.table.has(filter)
      const queue = shared
        ? this.shared.subscribe(shared, granted)
        : this.bindOwn(filter, granted, noLocal, options.id)
      this.table.set(filter, { filter: shared?.filter ?? filter, queue: queue.name, noLocal, id: options.id })
      return { code: granted, isNew }
    } catch (err) {
      if (!(err instanceof BrokerError)) throw err
      this.logger.warn({ filter, err: err.message }, 'MQTT subscription refused')
      const denied = err.code === 'ACCESS_REFUSED'
      return { code: denied ? SUBSCRIBE_REFUSED.notAuthorized : SUBSCRIBE_REFUSED.unspecified, isNew: false }
    }
  }

  /** A shared subscription's group and filter (MQTT 5 only: to 3.1.1, `$share/...` is a plain filter). */
  private sharedFilter(filter: string): SharedFilter | 'invalid' | undefined {
    return this.v5 ? parseShared(filter) : undefined
  }

  /**
   * Binds the queue of `granted` with the options in the binding's arguments; the filter's other
   * bindings go: a subscription to the same filter replaces the earlier one (§3.8.4), whatever its QoS.
   */
  private bindOwn(filter: string, granted: 0 | 1, noLocal: boolean, id: number | undefined): Queue {
    const key = toAmqp(filter)
    const args = subscriptionArgs(noLocal, id)
    const queue = this.host.consume(granted)
    this.host.session.bindQueue(queue.name, this.exchange, key, args, this.host.connectionId)
    this.unbindOwn(key, (name, b) => name === queue.name && sameOptions(b, args))
    return queue
  }

  /** Removes the filter's bindings of the session's queues (but those `keep` says); returns how many. */
  private unbindOwn(key: string, keep?: (queue: string, args: FieldTable) => boolean): number {
    let removed = 0
    for (const qos of [0, 1] as const) {
      const queue = this.host.vhost.queues.get(this.host.queueName(qos))
      if (!queue) continue
      for (const b of queue.incoming) {
        if (b.source.name !== this.exchange || b.routingKey !== key || keep?.(queue.name, b.args)) continue
        this.host.session.unbindQueue(queue.name, this.exchange, key, b.args, this.host.connectionId)
        removed++
      }
    }
    return removed
  }

  /** False when the session had no such subscription (MQTT 5's UNSUBACK 0x11). */
  unsubscribe(filter: string): boolean {
    const existed = this.table.delete(filter)
    const shared = this.sharedFilter(filter)
    if (shared === 'invalid') return existed
    if (shared) return this.shared.unsubscribe(shared) || existed
    return this.unbindOwn(toAmqp(filter)) > 0 || existed
  }
}
