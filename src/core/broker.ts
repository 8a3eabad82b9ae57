// The broker model: vhosts and the limits that apply to all of them. Protocol-free.
import { type Clock, type Logger, NotFoundError } from '../shared/index.js'
import type { DurabilityListener } from './ports.js'
import { defaultExchangeTypes, type ExchangeTypes } from './exchange/index.js'
import { defaultQueueTypes, type QueueTypes } from './queue-types/index.js'
import { AuthAttempts, ChurnCounters, type ProtocolCounters } from './stats.js'
import { Tracking } from './tracking.js'
import { VHost } from './vhost.js'

export interface BrokerLimits {
  /** Largest message body accepted, in bytes (RabbitMQ's default: 128 MiB). */
  maxMessageSize: number
}

/** Resource alarms, as RabbitMQ names them: publishers are blocked while any is set. */
export type Alarm = 'memory' | 'disk'

/** Shared by the broker and its vhosts: while memory is short, every queue that can page does. */
export interface MemoryPressure {
  paging: boolean
}

export class Broker {
  readonly vhosts = new Map<string, VHost>()
  readonly alarms = new Set<Alarm>()
  readonly memory: MemoryPressure = { paging: false }
  /** Connections, channels and queues opened, declared and closed since start (for Prometheus). */
  readonly churn = new ChurnCounters()
  /** Counters of the front ends that register them (the Stream protocol's), for Prometheus. */
  readonly protocolCounters: ProtocolCounters[] = []
  /** Open connections and channels, counted for the vhost and user limits. */
  readonly tracking = new Tracking(this.churn)
  /** Logins that succeeded and failed, by protocol (for Prometheus). */
  readonly authAttempts = new AuthAttempts()
  private readonly alarmListeners = new Set<(alarms: ReadonlySet<Alarm>) => void>()

  /** Set by the composition root when definitions and messages are stored. */
  durability: DurabilityListener | undefined

  constructor(
    readonly clock: Clock,
    readonly logger: Logger,
    readonly limits: BrokerLimits,
    /** The queue types declares may ask for (x-queue-type); boot registers them. */
    readonly queueTypes: QueueTypes = defaultQueueTypes(),
    /** The exchange types declares may ask for; boot registers them. */
    readonly exchangeTypes: ExchangeTypes = defaultExchangeTypes(),
  ) {}

  setAlarm(alarm: Alarm, on: boolean): void {
    if (on === this.alarms.has(alarm)) return
    if (on) this.alarms.add(alarm)
    else this.alarms.delete(alarm)
    this.logger[on ? 'warn' : 'info'](
      { alarm },
      on ? `${alarm} resource alarm set: publishers blocked` : `${alarm} resource alarm cleared`,
    )
    for (const fn of this.alarmListeners) fn(this.alarms)
  }

  /** Memory passed (or fell back below) the paging threshold: queues move messages out of memory. */
  setMemoryPressure(on: boolean): void {
    if (on === this.memory.paging) return
    this.memory.paging = on
    this.logger.info(
      on
        ? 'memory above the paging threshold: queues page messages out to disk'
        : 'memory below the paging threshold: queues keep new messages in memory',
    )
    if (on) for (const v of this.vhosts.values()) for (const q of v.queues.values()) q.pageOutExcess()
  }

  onAlarmsChanged(fn: (alarms: ReadonlySet<Alarm>) => void): () => void {
    this.alarmListeners.add(fn)
    return () => this.alarmListeners.delete(fn)
  }

  /** Stops every queue's timers (TTL, x-expires) before the stores close. */
  stop(): void {
    for (const v of this.vhosts.values()) {
      for (const q of v.queues.values()) q.stop()
      for (const ex of v.exchanges.values()) ex.stop()
    }
  }

  addVhost(name: string): VHost {
    let v = this.vhosts.get(name)
    if (!v) {
      v = new VHost(
        name,
        this.clock,
        this.durability,
        this.logger,
        this.memory,
        this.queueTypes,
        this.exchangeTypes,
        this.churn,
      )
      this.vhosts.set(name, v)
    }
    return v
  }

  vhost(name: string): VHost {
    const v = this.vhosts.get(name)
    if (!v) throw new NotFoundError(`no vhost '${name}'`)
    return v
  }
}
