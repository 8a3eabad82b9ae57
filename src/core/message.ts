// A published message as the core sees it: routing facts, properties and body. Protocol-free; the
// AMQP layer may attach the property bytes it received (rawProperties) so that a delivery re-sends them
// verbatim instead of re-encoding. A message fanned out to several queues is one shared object.
import type { BasicProperties } from '../shared/index.js'

export class Message {
  /** Set by the AMQP layer the first time it encodes properties that arrived without raw bytes. */
  rawProperties: Buffer | undefined
  /**
   * The BCC header's keys, removed from the headers before delivery but kept for routing: RabbitMQ
   * routes a dead-lettered message with them again when no dead-letter routing key is set.
   */
  bccKeys: readonly string[] | undefined
  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly properties: BasicProperties,
    readonly body: Buffer,
    rawProperties?: Buffer,
    /** When it was published, in clock milliseconds. */
    readonly publishedAt = 0,
  ) {
    this.rawProperties = rawProperties
  }

  get persistent(): boolean {
    return this.properties.deliveryMode === 2
  }

  get size(): number {
    return this.body.length
  }

  /** The per-message TTL in ms from the `expiration` property (validated at publish), if any. */
  get ttl(): number | undefined {
    const e = this.properties.expiration
    return e === undefined ? undefined : Number(e)
  }

  /** A copy with other routing facts or properties (dead-lettering); raw bytes are dropped. */
  with(changes: {
    exchange?: string
    routingKey?: string
    properties?: BasicProperties
    bccKeys?: readonly string[] | undefined
  }): Message {
    const m = new Message(
      changes.exchange ?? this.exchange,
      changes.routingKey ?? this.routingKey,
      changes.properties ?? this.properties,
      this.body,
      changes.properties ? undefined : this.rawProperties,
      this.publishedAt,
    )
    m.bccKeys = 'bccKeys' in changes ? changes.bccKeys : this.bccKeys
    return m
  }
}

/** One message's place in one queue. */
export interface QueueEntry {
  /** Replaced by a copy with a new x-delivery-count when a queue that counts deliveries takes it back. */
  message: Message
  /** Position in the queue: requeued entries go back to their original place. */
  readonly seq: number
  redelivered: boolean
  /** Absolute expiry in clock ms, or Infinity. */
  expiresAt: number
  /** Id in the queue's store when the message was persisted there, else -1. */
  storeId: number
}
