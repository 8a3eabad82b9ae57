// A quorum queue on one node: RabbitMQ 3.10's quorum queue without replication (which comes with
// clustering), built on the classic queue's machinery (ready messages, durable store with fsync before
// confirm, consumers, TTL, length limits, dead-lettering, delivery counts) and differing where RabbitMQ's
// does, as checked against 3.10.8:
// - every message is stored, transient or persistent, and survives a restart;
// - every return (reject or nack with requeue, a closed channel, basic.recover) counts in the message's
//   x-delivery-count, with or without a delivery limit, and the message goes to the back of the queue;
// - basic.get always carries x-delivery-count (0 before the first return), a consumer's delivery only
//   once the message was returned;
// - reject-publish takes the publish that goes over the limit and refuses the ones after it, until the
//   queue is down to 80% of the limit (rabbit_fifo's soft limit);
// - x-dead-letter-strategy at-least-once keeps dead letters no queue took and routes them again
//   (held-dead-letters.ts);
// - a consumer on a channel with a global prefetch (basic.qos global) is refused (a global prefetch set
//   after consuming does not limit it), and queue.delete with if-unused or if-empty is not implemented:
//   both 540 NOT_IMPLEMENTED, which closes the connection.
import { type FieldTable, NotImplementedError } from '../../../shared/index.js'
import type { Consumer } from '../../consumer.js'
import { ClassicQueue, DELIVERY_COUNT, type QueueFlavour, withDeliveryCount } from '../classic/index.js'
import type { Message, QueueEntry } from '../../message.js'
import type { DeadLetterReason, QueueHost, QueueOptions, Taken } from '../queue.js'
import type { QueueSettings } from '../queue-settings.js'
import { HeldDeadLetters } from './held-dead-letters.js'
import { deadLetterStrategy, quorumSettings } from './quorum-settings.js'

const QUORUM: QueueFlavour = {
  type: 'quorum',
  settings: quorumSettings,
  countsEveryReturn: true,
  requeueAtBack: true,
  storesEveryMessage: true,
  supportsGlobalQos: false,
}

export class QuorumQueue extends ClassicQueue {
  /** reject-publish: the queue went over its limit and refuses publishes until below the soft limit. */
  private rejecting = false
  /** At-least-once dead letters that no queue took yet. */
  private readonly held: HeldDeadLetters

  constructor(opts: QueueOptions, host: QueueHost) {
    super(opts, host, QUORUM)
    this.held = new HeldDeadLetters(host.clock, (entries, reason) => this.deadLetterEntries(entries, reason))
  }

  /**
   * rabbit_fifo blocks publishers once an enqueue takes the queue over a limit, and lets them in again
   * when it is down to the soft limit; Warren looks at the soft limit when the next publish comes.
   */
  protected override refuses(message: Message): boolean {
    const s = this.settings
    if (s.overflow !== 'reject-publish') return false
    // Held dead letters count against the limits, as rabbit_fifo counts its dead-letter backlog.
    const count = this.readyCount + this.held.count
    const bytes = this.readyByteCount + this.held.bytes
    if (this.rejecting && !belowSoftLimit(s, count, bytes)) return true
    this.rejecting =
      (s.maxLength !== undefined && count + 1 > s.maxLength) ||
      (s.maxLengthBytes !== undefined && bytes + message.size > s.maxLengthBytes)
    return false
  }

  protected override keepsUntakenDeadLetters(): boolean {
    return deadLetterStrategy(this.args, this.settings, this.policy) === 'at-least-once'
  }

  protected override keepDeadLetters(entries: QueueEntry[], reason: DeadLetterReason): void {
    this.held.hold(entries, reason)
  }

  override destroy(): void {
    this.held.clear()
    super.destroy()
  }

  override stop(): void {
    this.held.stop()
    super.stop()
  }

  override get(noAck: boolean): Taken | undefined {
    const taken = super.get(noAck)
    const entry = taken?.entry
    if (entry && !hasDeliveryCount(entry.message.properties.headers)) {
      entry.message = withDeliveryCount(entry.message, 0)
    }
    return taken
  }

  override checkConsumable(c: Consumer): void {
    if (c.globalQos) {
      throw new NotImplementedError(
        `queue '${this.name}' in vhost '${this.vhost}' does not support global qos`,
      )
    }
    super.checkConsumable(c)
  }

  override checkDeletable(ifUnused: boolean, ifEmpty: boolean): void {
    const flag = ifUnused ? 'if-unused' : ifEmpty ? 'if-empty' : undefined
    if (flag === undefined) return
    throw new NotImplementedError(
      `cannot delete queue '${this.name}' in vhost '${this.vhost}'. queue.delete operations with ${flag} flag set are not supported by quorum queues`,
    )
  }
}

/** rabbit_fifo's soft limit: publishers are let in again at 80% of the limits. */
function belowSoftLimit(s: QueueSettings, count: number, bytes: number): boolean {
  const below = (limit: number | undefined, n: number): boolean =>
    limit === undefined || n <= Math.trunc(limit * 0.8)
  return below(s.maxLength, count) && below(s.maxLengthBytes, bytes)
}

const hasDeliveryCount = (h: FieldTable | undefined): boolean =>
  h !== undefined && Object.hasOwn(h, DELIVERY_COUNT)
