// A session: one client's use of one vhost, whatever protocol it speaks (an AMQP channel, the HTTP API's
// publish and get, and the MQTT, STOMP and Stream front ends to come). The use cases every front end
// shares live here once: the permission checks, finding the exchange of a publish and the checks on it,
// validating a message's properties, routing, the counters, and the firehose trace of publishes and
// deliveries. A front end maps its frames to these calls and the domain errors they throw back to its
// protocol; what is its own (an AMQP basic.return, publisher confirms, delivery tags) stays with it.
import {
  AccessRefusedError,
  type BasicProperties,
  type FieldTable,
  PreconditionFailedError,
} from '../shared/index.js'
import type { Exchange } from './exchange/index.js'
import type { Message, QueueEntry } from './message.js'
import type { Access, Authorizer, ResourceKind, TopicAccess } from './ports.js'
import { checkQueueLimit } from './limits.js'
import type { Queue } from './queue-types/index.js'
import { MessageStats, type ProtocolCounters } from './stats.js'
import { deliverTrace, publishTrace, type TraceOrigin } from './trace.js'
import type { PublishResult } from './router.js'
import type { ExchangeDeclare, QueueDeclare } from './declarations.js'
import type { VHost } from './vhost.js'

/** A binding made through a session; `added` is false when it existed already. */
export interface Bound {
  readonly source: Exchange
  readonly dest: Exchange | Queue
  readonly added: boolean
}

export interface SessionOptions {
  readonly vhost: VHost
  /** The authenticated user. */
  readonly user: string
  readonly authz: Authorizer
  /** Who is publishing, as the firehose tracer names it (connection name, channel number). */
  readonly connection: string
  readonly channel: number
  /** The node name trace messages carry. */
  readonly node: string
  /** Largest message body accepted (RabbitMQ's max_message_size). */
  readonly maxMessageSize: number
  /** The Prometheus counters of the session's protocol, for a front end other than AMQP 0-9-1. */
  readonly counters?: ProtocolCounters | undefined
}

/** How many exchanges a session remembers as writable (publishes to them skip the permission match). */
const MAX_WRITABLE = 256
/** How many routing keys a session remembers as allowed by a topic permission. */
const MAX_TOPIC_KEYS = 256

export class Session {
  /** Message counters (the management API's channel message_stats). */
  readonly stats = new MessageStats()
  readonly vhost: VHost
  readonly user: string
  private readonly origin: TraceOrigin
  /** The permission object the writable set below was checked against; a change forgets them. */
  private writeGrant: object | undefined
  private lastWritable: string | undefined
  private writable: Set<string> | undefined
  /** The topic permissions the allowed keys below were checked against; a change forgets them. */
  private topicGrant: object | undefined
  private topicAllowed: Set<string> | undefined

  constructor(private readonly o: SessionOptions) {
    this.vhost = o.vhost
    this.user = o.user
    this.origin = { connection: o.connection, channel: o.channel, user: o.user }
  }

  /** RabbitMQ's permission check for this session's user (403 when refused). */
  permit(access: Access, kind: ResourceKind, name: string): void {
    this.o.authz.check(this.user, this.vhost.name, access, kind, name)
  }

  // ---- publishing ----

  /**
   * The checks of a publish before its content arrives: write permission on the exchange (remembered
   * per permission object, since this runs per message), the exchange exists and is not internal, and
   * a topic exchange's topic permission allows the routing key.
   */
  exchangeForPublish(name: string, routingKey: string): Exchange {
    this.permitWrite(name)
    const ex = this.vhost.getExchange(name)
    if (ex.internal) {
      throw new AccessRefusedError(
        `cannot publish to internal exchange '${ex.name}' in vhost '${this.vhost.name}'`,
      )
    }
    this.permitTopic('write', ex, routingKey)
    return ex
  }

  /**
   * RabbitMQ's topic permission check: only for topic exchanges, and only for users with topic
   * permissions in the vhost. Users without any (nearly all) cost two map lookups per publish to a topic
   * exchange; keys found allowed are remembered per permission object, so a publisher's repeated routing
   * keys are not matched again.
   */
  private permitTopic(access: TopicAccess, ex: Exchange, routingKey: string): void {
    if (ex.type !== 'topic') return
    const grant = this.o.authz.topicGrant(this.user, this.vhost.name)
    if (grant === undefined) return
    if (grant !== this.topicGrant) {
      this.topicGrant = grant
      this.topicAllowed?.clear()
    }
    const key = `${access}\u0000${ex.name}\u0000${routingKey}`
    if (this.topicAllowed?.has(key) === true) return
    this.o.authz.checkTopic(this.user, this.vhost.name, access, ex.name, routingKey)
    const allowed = (this.topicAllowed ??= new Set())
    if (allowed.size >= MAX_TOPIC_KEYS) allowed.clear()
    allowed.add(key)
  }

  private permitWrite(exchange: string): void {
    const grant = this.o.authz.grant(this.user, this.vhost.name)
    if (grant !== undefined && grant === this.writeGrant) {
      if (exchange === this.lastWritable) return
      if (this.writable?.has(exchange) !== true) this.permit('write', 'exchange', exchange)
    } else {
      this.permit('write', 'exchange', exchange)
      this.writeGrant = grant
      this.writable?.clear()
      this.lastWritable = undefined
    }
    // The set holds every exchange found writable but the last one; made when a second one shows up.
    const last = this.lastWritable
    if (last !== undefined) {
      const set = (this.writable ??= new Set())
      if (set.size >= MAX_WRITABLE) set.clear()
      set.add(last)
    }
    this.lastWritable = exchange
  }

  /** A body larger than the broker takes is refused before it is read (406, RabbitMQ's wording). */
  checkSize(bodySize: number): void {
    const max = this.o.maxMessageSize
    if (bodySize > max) {
      throw new PreconditionFailedError(`message size ${bodySize} is larger than configured max size ${max}`)
    }
  }

  /** RabbitMQ's checks on a message's properties: a parseable expiration, a user-id that is the user's. */
  validate(props: BasicProperties): void {
    if (props.expiration !== undefined) {
      const problem = expirationProblem(props.expiration)
      if (problem) throw new PreconditionFailedError(`invalid expiration '${props.expiration}': ${problem}`)
    }
    if (props.userId !== undefined && props.userId !== this.user) {
      throw new PreconditionFailedError(
        `user_id property set to '${props.userId}' but authenticated user was '${this.user}'`,
      )
    }
  }

  /**
   * Routes a validated message and counts it (`confirmed`: the publisher asked for a confirm;
   * `mandatory`: it wants unroutable messages back); traces it while tracing is on. The result is the
   * vhost's reused object: read it before the next publish.
   */
  publish(ex: Exchange, msg: Message, mandatory: boolean, confirmed: boolean): PublishResult {
    const result = this.vhost.publish(ex, msg)
    this.countPublish(result, mandatory, confirmed)
    if (this.vhost.tracing) {
      this.vhost.publishTrace(
        publishTrace(
          this.vhost.name,
          msg,
          result.queueNames,
          this.origin,
          this.o.node,
          this.vhost.clock.now(),
        ),
      )
    }
    return result
  }

  private countPublish(result: PublishResult, mandatory: boolean, confirmed: boolean): void {
    const s = this.stats
    const vs = this.vhost.stats
    s.publish++
    if (confirmed) this.vhost.counters.receivedConfirm++
    if (confirmed && !result.rejected) {
      s.confirm++
      vs.confirm++
    }
    if (this.o.counters) countProtocolPublish(this.o.counters, result, mandatory, confirmed)
    if (result.queues > 0) return
    if (mandatory) {
      s.returnUnroutable++
      vs.returnUnroutable++
    } else {
      s.dropUnroutable++
      vs.dropUnroutable++
    }
  }

  // ---- declaring (the permission rules of RabbitMQ's queue.declare, exchange.declare, bind, delete) ----

  /**
   * Declares (or checks, passive) a queue; `created` tells a new one from an existing one. A new queue
   * must fit in the vhost's max-queues (checked after configure permission, as RabbitMQ does).
   */
  declareQueue(d: QueueDeclare, connectionId: number): { queue: Queue; created: boolean } {
    if (!d.passive) {
      this.permit('configure', 'queue', d.name)
      if (!this.vhost.queues.has(d.name)) checkQueueLimit(this.vhost, d.name)
      const dlx = d.args['x-dead-letter-exchange']
      if (typeof dlx === 'string') {
        this.permit('read', 'queue', d.name)
        this.permit('write', 'exchange', dlx)
      }
    }
    const created = !d.passive && !this.vhost.queues.has(d.name)
    return { queue: this.vhost.declareQueue(d, connectionId), created }
  }

  /** Declares (or checks, passive) an exchange; `created` tells a new one from an existing one. */
  declareExchange(d: ExchangeDeclare): { exchange: Exchange; created: boolean } {
    if (!d.passive) {
      if (d.name !== '') this.permit('configure', 'exchange', d.name)
      const ae = d.args['alternate-exchange']
      if (typeof ae === 'string') {
        this.permit('read', 'exchange', d.name)
        this.permit('write', 'exchange', ae)
      }
    }
    const created = !d.passive && !this.vhost.exchanges.has(d.name)
    return { exchange: this.vhost.declareExchange(d), created }
  }

  /**
   * Binds a queue (write on the queue, read on the exchange, and for a topic exchange the topic
   * permission's read on the key); true when the binding is new.
   */
  bindQueue(queue: string, exchange: string, key: string, args: FieldTable, connectionId: number): Bound {
    this.permit('write', 'queue', queue)
    this.permit('read', 'exchange', exchange)
    const source = this.vhost.getExchange(exchange)
    this.permitTopic('read', source, key)
    const dest = this.vhost.getQueue(queue, connectionId)
    return { source, dest, added: this.vhost.bind(source, dest, key, args) }
  }

  /** RabbitMQ 3.10 answers unbind-ok even when the queue, the exchange or the binding is missing. */
  unbindQueue(queue: string, exchange: string, key: string, args: FieldTable, connectionId: number): void {
    this.permit('write', 'queue', queue)
    this.permit('read', 'exchange', exchange)
    const ex = this.vhost.exchanges.get(exchange)
    if (ex) this.permitTopic('read', ex, key)
    if (ex && this.vhost.queues.has(queue))
      this.vhost.unbind(ex, this.vhost.getQueue(queue, connectionId), key, args)
  }

  /** Binds an exchange to another (write on the destination, read on the source, its topic permission). */
  bindExchange(destination: string, source: string, key: string, args: FieldTable): Bound {
    this.permit('write', 'exchange', destination)
    this.permit('read', 'exchange', source)
    const src = this.vhost.getExchange(source)
    this.permitTopic('read', src, key)
    const dest = this.vhost.getExchange(destination)
    return { source: src, dest, added: this.vhost.bind(src, dest, key, args) }
  }

  unbindExchange(destination: string, source: string, key: string, args: FieldTable): void {
    this.permit('write', 'exchange', destination)
    this.permit('read', 'exchange', source)
    const src = this.vhost.getExchange(source)
    this.permitTopic('read', src, key)
    this.vhost.unbind(src, this.vhost.getExchange(destination), key, args)
  }

  /** Deletes a queue (configure); returns how many ready messages it held. */
  deleteQueue(name: string, connectionId: number, ifUnused: boolean, ifEmpty: boolean): number {
    this.permit('configure', 'queue', name)
    return this.vhost.deleteQueue(name, connectionId, ifUnused, ifEmpty)
  }

  deleteExchange(name: string, ifUnused: boolean): void {
    // The default and amq.* exchanges are refused by the vhost with their own 403, whatever the permissions.
    if (name !== '' && !name.startsWith('amq.')) this.permit('configure', 'exchange', name)
    this.vhost.deleteExchange(name, ifUnused)
  }

  purge(name: string, connectionId: number): number {
    this.permit('read', 'queue', name)
    return this.vhost.getQueue(name, connectionId).purge()
  }

  /** The queue a consumer or a basic.get takes from (read permission). */
  queueToConsume(name: string, connectionId: number): Queue {
    this.permit('read', 'queue', name)
    return this.vhost.getQueue(name, connectionId)
  }

  // ---- delivering ----

  /** Deliveries the client acknowledged (the queues count them too, as they settle them). */
  acked(n: number): void {
    this.stats.ack += n
    if (this.o.counters) this.o.counters.acknowledged += n
  }

  /** A message left `queue` for this session's client: counted, and traced while tracing is on. */
  delivered(queue: Queue, entry: QueueEntry, noAck: boolean, get: boolean): void {
    const s = this.stats
    if (get) {
      if (noAck) s.getNoAck++
      else s.get++
    } else if (noAck) s.deliverNoAck++
    else s.deliver++
    if (entry.redelivered) s.redeliver++
    if (this.o.counters && !get) countProtocolDelivery(this.o.counters, entry, noAck)
    if (!this.vhost.tracing) return
    const t = deliverTrace(
      this.vhost.name,
      queue.name,
      entry.redelivered,
      entry.message,
      this.origin,
      this.o.node,
      this.vhost.clock.now(),
    )
    this.vhost.publishTrace(t)
  }
}

function countProtocolPublish(
  pc: ProtocolCounters,
  result: PublishResult,
  mandatory: boolean,
  confirmed: boolean,
): void {
  pc.received++
  if (confirmed) pc.receivedConfirm++
  if (confirmed && !result.rejected) pc.confirmed++
  if (result.queues > 0) pc.routed++
  else if (mandatory) pc.unroutableReturned++
  else pc.unroutableDropped++
}

function countProtocolDelivery(pc: ProtocolCounters, entry: QueueEntry, noAck: boolean): void {
  pc.delivered++
  if (noAck) pc.deliveredAutoAck++
  else pc.deliveredManualAck++
  if (entry.redelivered) pc.redelivered++
}

/** Erlang's string:to_integer reading of an expiration, as RabbitMQ reports its failures. */
function expirationProblem(e: string): string | undefined {
  const m = /^([+-]?\d+)(.*)$/s.exec(e)
  if (!m) return 'no_integer'
  if (m[2] !== '') return `{leftover_string,"${m[2]}"}`
  const n = Number(m[1])
  return n < 0 ? `{value_negative,${n}}` : undefined
}
