// MQTT 5 shared subscriptions (§4.8.2), which RabbitMQ 3.13 does not offer: `$share/<group>/<filter>`
// is one queue per group and filter, `mqtt-shared-<group>/<filter>`, bound to amq.topic and consumed by
// every session subscribed to it, so each message goes to one of them (the queue's round robin). A QoS 1
// delivery a member has not acknowledged when it leaves goes back to the queue, to the other members.
// The queue is transient and auto-delete: it goes with its last member, and a persistent session does
// not keep its shared subscriptions past its connection.
import type { Queue, QueueDeclare, Session, VHost } from '../core/index.js'
import { type ConsumerHost, MqttConsumer } from './consumer.js'
import { toAmqp, validFilter } from './topics.js'

export interface SharedFilter {
  readonly group: string
  readonly filter: string
}

const PREFIX = '$share/'

/** `$share/<group>/<filter>` split in two; undefined for another filter; 'invalid' for a broken one. */
export function parseShared(filter: string): SharedFilter | 'invalid' | undefined {
  if (!filter.startsWith(PREFIX)) return undefined
  const slash = filter.indexOf('/', PREFIX.length)
  if (slash < 0) return 'invalid'
  const group = filter.slice(PREFIX.length, slash)
  const rest = filter.slice(slash + 1)
  if (group === '' || /[+#]/.test(group) || !validFilter(rest)) return 'invalid'
  return { group, filter: rest }
}

export const sharedQueueName = (s: SharedFilter): string => `mqtt-shared-${s.group}/${s.filter}`

/** What the shared subscriptions need from their session. */
export interface SharedHost extends ConsumerHost {
  readonly session: Session
  readonly vhost: VHost
  readonly connectionId: number
  /** The session's consumers by tag (listings). */
  readonly consumersByTag: Map<string, MqttConsumer>
}

/** One session's memberships: its consumer of each shared queue. */
export class SharedSubscriptions {
  private readonly consumers = new Map<string, MqttConsumer>()

  constructor(
    private readonly host: SharedHost,
    private readonly exchange: string,
  ) {}

  /**
   * Joins the group (declaring and binding its queue when it is the first member); a subscription at
   * another QoS replaces the session's consumer, the new one first so that the queue stays.
   */
  subscribe(s: SharedFilter, qos: 0 | 1): Queue {
    const { session, vhost, connectionId } = this.host
    const name = sharedQueueName(s)
    if (vhost.queues.has(name)) session.permit('configure', 'queue', name)
    else session.declareQueue(declaration(name), connectionId)
    session.bindQueue(name, this.exchange, toAmqp(s.filter), {}, connectionId)
    const old = this.consumers.get(name)
    if (old && old.qos === qos && !old.queue.deleted) return old.queue
    const queue = session.queueToConsume(name, connectionId)
    const c = new MqttConsumer(this.host, queue, qos, `mqtt-share-${qos}-${name}`)
    queue.checkConsumable(c)
    this.consumers.set(name, c)
    this.host.consumersByTag.set(c.tag, c)
    queue.addConsumer(c)
    if (old) this.leave(old)
    return queue
  }

  /** Leaves the group; false when the session was not a member. */
  unsubscribe(s: SharedFilter): boolean {
    const c = this.consumers.get(sharedQueueName(s))
    if (!c) return false
    this.leave(c)
    return true
  }

  /** The socket drained: the shared queues may deliver again. */
  drained(): void {
    for (const c of this.consumers.values()) c.queue.dispatch()
  }

  /** The queue cancelled the consumer (deleted): the membership is gone. */
  cancelled(c: MqttConsumer): void {
    if (this.consumers.get(c.queue.name) === c) this.consumers.delete(c.queue.name)
  }

  /** The session ended: every membership (the last member's leaving deletes the queue). */
  end(): void {
    for (const c of [...this.consumers.values()]) this.leave(c)
  }

  private leave(c: MqttConsumer): void {
    if (this.consumers.get(c.queue.name) === c) this.consumers.delete(c.queue.name)
    if (this.host.consumersByTag.get(c.tag) === c) this.host.consumersByTag.delete(c.tag)
    if (!c.queue.deleted) c.queue.removeConsumer(c)
  }
}

function declaration(name: string): QueueDeclare {
  return { name, passive: false, exclusiveOwner: undefined, durable: false, autoDelete: true, args: {} }
}
