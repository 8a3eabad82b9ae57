// x-delayed-message, as RabbitMQ's rabbitmq_delayed_message_exchange plugin defines it, but durable, and
// with ActiveMQ's scheduled delivery (schedule.ts): a message with a positive integer `x-delay` header (ms),
// a repeat count or a cron expression is kept by the exchange and routed by its underlying type (the
// `x-delayed-type` argument) when due; any other message is routed at once.
// A persistent message held by a durable exchange is in the exchange's store before it is confirmed, and
// leaves that store only once the queues it was routed to have it on disk: a crash or kill -9 loses
// nothing (a message due while the broker was down is routed right after the restart, at worst twice).
// The next delivery of a series is stored before the last one's record goes. Only the earliest due
// message has a timer; messages far from due keep no body in memory.
import { PreconditionFailedError } from '../../../shared/index.js'
import type { Message } from '../../message.js'
import type { QueueStore } from '../../ports.js'
import type { DurabilityTicket } from '../../queue-types/queue.js'
import { type Binding, Exchange, type ExchangeOptions, type RouteSink } from '../exchange.js'
import type { ExchangeHost, ExchangeType } from '../exchange-type.js'
import { NOT_STORED } from './held-table.js'
import type { LatenessSummary } from './lateness.js'
import { type DueMessage, type HeldMessage, HeldMessages } from './held-messages.js'
import {
  type CronSchedules,
  deliveredCopy,
  firstDue,
  isOnce,
  nextDelivery,
  type Schedule,
  scheduleOf,
  storedRemaining,
  withRemaining,
} from './schedule.js'

export type { HeldMessage } from './held-messages.js'

/** Recovery keeps an index of what is held, never the bodies: the store need not copy them. */
const NO_BODIES = { retainBodies: false } as const

export class DelayedExchange extends Exchange {
  readonly type: string = 'x-delayed-message'
  private readonly inner: Exchange
  private readonly store: QueueStore | undefined
  private readonly held: HeldMessages
  /** The message being routed onward now: it passes straight to the underlying type. */
  private releasing: Message | undefined
  /** The message last kept: routing it again for a CC key keeps it once. */
  private lastKept: Message | undefined

  constructor(
    opts: ExchangeOptions,
    private readonly host: ExchangeHost,
    private readonly innerType: ExchangeType,
    private readonly cron: CronSchedules,
  ) {
    super(opts)
    this.inner = innerType.create(opts, host)
    this.store = host.exchangeStore(this)
    this.held = new HeldMessages(host.clock, this.store, (m) => this.release(m), host.logger)
  }

  override get heldCount(): number {
    return this.held.size
  }

  /** How late held messages left their due time, since the broker started. */
  get lateness(): LatenessSummary {
    return this.held.lateness.summary()
  }

  /** When the next held message is due (clock ms), if any. */
  get nextDue(): number | undefined {
    return this.held.nextDue
  }

  route(msg: Message, routingKey: string, sink: RouteSink): void {
    const schedule = msg === this.releasing ? undefined : scheduleOf(msg)
    if (schedule === undefined) return this.inner.route(msg, routingKey, sink)
    if (msg === this.lastKept) return
    const due = this.firstDue(schedule)
    this.lastKept = msg
    sink.hold(this.keep(msg, kept(schedule), due, schedule.repeat))
  }

  override checkBinding(args: Binding['args'], routingKey: string): void {
    this.innerType.validateBinding?.(args, routingKey)
  }

  protected indexAdd(b: Binding): void {
    this.inner.indexBinding(b, true)
  }

  protected indexRemove(b: Binding): void {
    this.inner.indexBinding(b, false)
  }

  override async recover(): Promise<void> {
    const store = this.store
    if (!store) return
    const now = this.host.clock.now()
    await store.recover((m) => {
      const schedule = scheduleOf(m)
      if (!schedule) return store.remove(m.id) // nothing to wait for: not written by this exchange
      // Due times are stored as the entry's expiry; bodies are read back when due.
      this.held.hold(m.expiresAt ?? now, m.id, undefined, kept(schedule), storedRemaining(m, schedule))
    }, NO_BODIES)
    this.held.arm()
  }

  /** The next `limit` held messages in due order. */
  list(limit: number): Promise<HeldMessage[]> {
    return this.held.list(limit)
  }

  /** Cancels one held message (a whole series); false when there is none with that id. */
  cancel(id: number): boolean {
    const storeId = this.held.cancel(id)
    if (storeId === undefined) return false
    if (storeId !== NOT_STORED) this.store?.remove(storeId)
    return true
  }

  /** Cancels every held message; returns how many there were. */
  purge(): number {
    const n = this.held.size
    for (const id of this.held.purge()) this.store?.remove(id)
    return n
  }

  override dispose(): void {
    this.held.stop()
    this.held.purge()
  }

  override stop(): void {
    this.held.stop()
  }

  private firstDue(schedule: Schedule): number {
    try {
      return firstDue(schedule, this.host.clock.now(), this.cron)
    } catch (err) {
      throw new PreconditionFailedError(
        `invalid x-schedule-cron '${schedule.cron}': ${(err as Error).message}`,
      )
    }
  }

  /** Holds a message until it is due; returns what its confirm waits for. */
  private keep(
    msg: Message,
    schedule: Schedule | undefined,
    due: number,
    remaining: number,
  ): DurabilityTicket | undefined {
    const stored = this.store !== undefined && msg.persistent
    const storeId = stored ? (this.store as QueueStore).append(msg, due) : NOT_STORED
    this.held.hold(due, storeId, msg, schedule, remaining)
    return stored ? this.store : undefined
  }

  /**
   * Routes a due message by the underlying type and keeps its next delivery, if its schedule has one.
   * Its stored record goes once the queues have their copies on disk and the next one is stored.
   */
  private release(m: DueMessage): void {
    if (this.deleted) return
    const copy = deliveredCopy(m.message)
    this.releasing = copy
    let reached: { tickets: readonly DurabilityTicket[] }
    try {
      reached = this.host.releaseHeld(this, copy)
    } finally {
      this.releasing = undefined
    }
    const s = m.schedule
    const next = s && nextDelivery(s, m.due, m.remaining, this.host.clock.now(), this.cron)
    if (next) this.keep(withRemaining(m.message, next.remaining), s, next.due, next.remaining)
    this.removeOnceCopied(m.storeId, reached.tickets)
  }

  private removeOnceCopied(storeId: number, tickets: readonly DurabilityTicket[]): void {
    const store = this.store
    if (storeId === NOT_STORED || !store) return
    if (tickets.length === 0) return store.remove(storeId)
    void Promise.all(tickets.map((t) => t.flush())).then(
      () => store.remove(storeId),
      () => undefined, // not in the queues' stores: it stays in this one and comes back after a restart
    )
  }
}

const DELAYED = 'x-delayed-message'

/** What an entry keeps of its schedule: nothing for a single delivery, which is most of them. */
function kept(schedule: Schedule): Schedule | undefined {
  return isOnce(schedule) ? undefined : schedule
}

function underlyingType(opts: ExchangeOptions, host: ExchangeHost): ExchangeType {
  const name = opts.args['x-delayed-type']
  if (name === DELAYED) {
    throw new PreconditionFailedError(`Invalid argument, '${DELAYED}' can't be used for 'x-delayed-type'`)
  }
  if (typeof name !== 'string') {
    throw new PreconditionFailedError("Invalid argument, 'x-delayed-type' must be an existing exchange type")
  }
  // An unknown type: 503 COMMAND_INVALID "unknown exchange type", as the plugin answers.
  const type = host.exchangeTypes.get(name)
  type.validate?.(opts)
  return type
}

/** The x-delayed-message type; `cron` computes cron schedules (boot passes a library's). */
export function delayedExchangeType(cron: CronSchedules): ExchangeType {
  return {
    name: DELAYED,
    description: 'Delayed Message Exchange.',
    create: (opts, host) => new DelayedExchange(opts, host, underlyingType(opts, host), cron),
  }
}
