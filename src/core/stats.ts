// Message counters behind the management API's message_stats. Plain number fields bumped where messages
// flow (one increment per event, no allocation, no lookups); rates are derived elsewhere by sampling
// them, so nothing on the hot path ever scans queues or messages. Each owner uses the counters that
// apply to it: a queue counts what enters and leaves it, an exchange what it routes, a channel and a
// vhost what their clients publish and consume.
import type { DeadLetterReason } from './queue-types/queue.js'

export class MessageStats {
  /** Messages published (channel, vhost) or enqueued (queue). */
  publish = 0
  /** Messages published to an exchange, and those of them it routed somewhere. */
  publishIn = 0
  publishOut = 0
  /** Publisher confirms sent. */
  confirm = 0
  /** Unroutable messages returned (mandatory) or dropped (not mandatory). */
  returnUnroutable = 0
  dropUnroutable = 0
  /** Deliveries to consumers in ack mode and in no-ack mode. */
  deliver = 0
  deliverNoAck = 0
  /** basic.get answered with a message in ack mode, in no-ack mode, and with get-empty. */
  get = 0
  getNoAck = 0
  getEmpty = 0
  /** Deliveries or gets of a message that had been delivered before. */
  redeliver = 0
  /** Deliveries acknowledged. */
  ack = 0

  /** Adds another owner's consumption counters (a vhost keeps those of its deleted queues). */
  addDeliveries(o: MessageStats): void {
    this.deliver += o.deliver
    this.deliverNoAck += o.deliverNoAck
    this.get += o.get
    this.getNoAck += o.getNoAck
    this.getEmpty += o.getEmpty
    this.redeliver += o.redeliver
    this.ack += o.ack
  }
}

/**
 * How many connections, channels and queues came and went since the broker started (Prometheus'
 * rabbitmq_*_opened_total, _closed_total, rabbitmq_queues_declared/created/deleted_total). One per
 * broker, counted where each protocol opens and closes them (tracking.ts) and where queues are
 * declared and deleted (vhost.ts).
 */
export class ChurnCounters {
  connectionsOpened = 0
  connectionsClosed = 0
  channelsOpened = 0
  channelsClosed = 0
  /** Every queue.declare that succeeded, new or not; passive ones are not counted (nor by RabbitMQ). */
  queuesDeclared = 0
  queuesCreated = 0
  queuesDeleted = 0
}

/** A vhost's counters that only the Prometheus endpoints report (RabbitMQ's rabbitmq_global_*). */
export class VhostCounters {
  /** Messages received on channels in confirm mode. */
  receivedConfirm = 0
  /** Messages sent to a dead-letter exchange, by reason (RabbitMQ's dead_letter_strategy at_most_once). */
  readonly deadLettered: Record<DeadLetterReason, number> = {
    expired: 0,
    maxlen: 0,
    rejected: 0,
    delivery_limit: 0,
  }
  /**
   * Messages that left a queue for one of those reasons with no dead-letter exchange to go to, so they
   * were dropped (RabbitMQ counts them too, as dead_letter_strategy "disabled").
   */
  readonly dropped: Record<DeadLetterReason, number> = {
    expired: 0,
    maxlen: 0,
    rejected: 0,
    delivery_limit: 0,
  }
}

/**
 * The message and error counters of a front end other than AMQP 0-9-1, reported as RabbitMQ reports its
 * plugins' (rabbitmq_global_*{protocol="..."}, and rabbitmq_global_<protocol>_error_<name>_total). The
 * front end registers one on the broker and counts into it per batch, never per message where it can; a
 * front end that publishes and consumes through core Sessions has them count for it (session.ts).
 */
export class ProtocolCounters {
  received = 0
  /** Messages whose publishers expect a confirm. */
  receivedConfirm = 0
  confirmed = 0
  routed = 0
  /** Messages received that no queue took, from publishers that wanted them back or did not. */
  unroutableReturned = 0
  unroutableDropped = 0
  /** Deliveries to consumers, in all; those without and with acknowledgements; redeliveries. */
  delivered = 0
  deliveredAutoAck = 0
  deliveredManualAck = 0
  redelivered = 0
  acknowledged = 0
  /** Commands answered with an error, by RabbitMQ's name of the error (every name shows, from 0). */
  readonly errors = new Map<string, number>()
  /** Publishers and consumers open now, asked of the front end when the metrics are read. */
  gauges: () => { publishers: number; consumers: number } = () => ({ publishers: 0, consumers: 0 })

  constructor(
    /** The protocol label (RabbitMQ's: 'stream', 'mqtt311', ...; Warren's own 'stomp'). */
    readonly protocol: string,
    /** The queue type its deliveries come from, as RabbitMQ labels it (rabbit_stream_queue). */
    readonly queueType: string,
    errorNames: readonly string[],
    /**
     * Its messages go through the vhosts' exchanges and queues, so the vhosts' message stats count them
     * too: AMQP 0-9-1's samples are the vhosts' totals less these (MQTT and STOMP; not Stream).
     */
    readonly inVhostTotals = false,
  ) {
    for (const name of errorNames) this.errors.set(name, 0)
  }

  error(name: string): void {
    this.errors.set(name, (this.errors.get(name) ?? 0) + 1)
  }
}

/**
 * Logins since start, by protocol (Prometheus' rabbitmq_auth_attempts_*): counted by each front end
 * where it checks credentials, once per connection or HTTP request, so never on a message path.
 */
export class AuthAttempts {
  readonly byProtocol = new Map<string, { succeeded: number; failed: number }>()

  record(protocol: string, succeeded: boolean): void {
    let c = this.byProtocol.get(protocol)
    if (!c) this.byProtocol.set(protocol, (c = { succeeded: 0, failed: 0 }))
    if (succeeded) c.succeeded++
    else c.failed++
  }
}
