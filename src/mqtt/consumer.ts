// A subscription queue's consumer: what the queue sees of an MQTT client. The QoS 0 queue is consumed
// without acknowledgements; the QoS 1 queue with them, at most `prefetch` unacknowledged at once
// (RabbitMQ's mqtt.prefetch), each one a PUBLISH with a packet id that the client's PUBACK settles.
import type { Consumer, ConsumerOwner, Message, Queue, QueueEntry } from '../core/index.js'
import { type FieldTable, TypedValue } from '../shared/index.js'
import type { OutgoingPublish } from './encoder.js'
import type { Properties } from './properties.js'
import { toMqtt } from './topics.js'

/** What a consumer needs from its client's session. */
export interface ConsumerHost extends ConsumerOwner {
  readonly prefetch: number
  /** The socket can take more (back-pressure: a queue keeps its messages while it cannot). */
  canWrite(): boolean
  /** Sends a PUBLISH; a QoS 1 one gets its packet id here and waits for its PUBACK. */
  send(
    p: Omit<OutgoingPublish, 'packetId'>,
    settle: Unacked | undefined,
    wait: Promise<void> | undefined,
  ): void
  /** A message the client published itself that only No Local subscriptions match: not sent back. */
  isOwnOnly(msg: Message, topic: string, queue: Queue): boolean
  /** The MQTT 5 properties of a delivery through `queue` (undefined for a 3.1.1 client). */
  propertiesOf(entry: QueueEntry, topic: string, queue: Queue): Properties | undefined
  delivered(queue: Queue, entry: QueueEntry, noAck: boolean): void
  /** Deliveries settled (counted as acknowledged, as RabbitMQ 3.10's plugin acks them). */
  acked(n: number): void
  cancelled(c: MqttConsumer): void
}

/** A QoS 1 delivery waiting for its PUBACK. */
export interface Unacked {
  readonly consumer: MqttConsumer
  readonly queue: Queue
  readonly entry: QueueEntry
}

export class MqttConsumer implements Consumer {
  readonly exclusive = false
  readonly priority = 0
  readonly noAck: boolean
  /** For listings (management API): no consumer arguments. */
  readonly args: FieldTable = {}
  unacked = 0

  constructor(
    private readonly host: ConsumerHost,
    readonly queue: Queue,
    /** The QoS of the subscription queue it consumes. */
    readonly qos: 0 | 1,
    readonly tag: string,
  ) {
    this.noAck = qos === 0
  }

  get owner(): ConsumerOwner {
    return this.host
  }

  /** The prefetch listings show: the QoS 1 queue's, none for QoS 0. */
  get prefetch(): number {
    return this.noAck ? 0 : this.host.prefetch
  }

  canTake(): boolean {
    if (!this.noAck && this.unacked >= this.host.prefetch) return false
    return this.host.canWrite()
  }

  socketBound(): boolean {
    return !this.host.canWrite()
  }

  /**
   * RabbitMQ's delivery rules: the QoS is the subscription's, lowered to the publisher's QoS when the
   * message says it (x-mqtt-publish-qos); DUP is set for a redelivery or a publisher's DUP; a duplicate
   * that would go out at QoS 0 is dropped (and acknowledged).
   */
  deliver(queue: Queue, entry: QueueEntry, wait: Promise<void> | undefined): void {
    const msg = entry.message
    const headers = msg.properties.headers
    const qos = this.qos === 0 ? 0 : Math.min(publishQos(headers) ?? 1, 1)
    const dup = entry.redelivered || headers?.['x-mqtt-dup'] === true
    const topic = toMqtt(msg.routingKey)
    if (this.host.isOwnOnly(msg, topic, queue)) {
      if (!this.noAck) queue.settle(entry)
      return
    }
    this.host.delivered(queue, entry, this.noAck)
    if (qos === 0 && !this.noAck) {
      queue.settle(entry)
      this.host.acked(1)
    }
    if (dup && qos === 0) return
    const unacked = qos === 1 ? { consumer: this, queue, entry } : undefined
    if (unacked) this.unacked++
    const publish = {
      topic,
      qos: qos as 0 | 1,
      dup,
      retain: false,
      payload: msg.body,
      properties: this.host.propertiesOf(entry, topic, queue),
    }
    this.host.send(publish, unacked, wait)
  }

  cancelledByQueue(): void {
    this.host.cancelled(this)
  }
}

/** The x-mqtt-publish-qos header, whether an MQTT publisher set it (a byte) or an AMQP one (a number). */
function publishQos(headers: FieldTable | undefined): number | undefined {
  const v = headers?.['x-mqtt-publish-qos']
  if (v instanceof TypedValue) return Number(v.value)
  return typeof v === 'number' ? v : undefined
}
