// The broker model: vhosts and the limits that apply to all of them. Protocol-free.
import { type Clock, type Logger, NotFoundError } from '../shared/index.js'
import type { DurabilityListener } from './ports.js'
import { VHost } from './vhost.js'

export interface BrokerLimits {
  /** Largest message body accepted, in bytes (RabbitMQ's default: 128 MiB). */
  maxMessageSize: number
}

/** Resource alarms, as RabbitMQ names them: publishers are blocked while any is set. */
export type Alarm = 'memory' | 'disk'

export class Broker {
  readonly vhosts = new Map<string, VHost>()
  readonly alarms = new Set<Alarm>()
  private readonly alarmListeners = new Set<(alarms: ReadonlySet<Alarm>) => void>()

  /** Set by the composition root when definitions and messages are stored. */
  durability: DurabilityListener | undefined

  constructor(
    readonly clock: Clock,
    readonly logger: Logger,
    readonly limits: BrokerLimits,
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

  onAlarmsChanged(fn: (alarms: ReadonlySet<Alarm>) => void): () => void {
    this.alarmListeners.add(fn)
    return () => this.alarmListeners.delete(fn)
  }

  /** Stops every queue's timers (TTL, x-expires) before the stores close. */
  stop(): void {
    for (const v of this.vhosts.values()) for (const q of v.queues.values()) q.stop()
  }

  addVhost(name: string): VHost {
    let v = this.vhosts.get(name)
    if (!v) this.vhosts.set(name, (v = new VHost(name, this.clock, this.durability, this.logger)))
    return v
  }

  vhost(name: string): VHost {
    const v = this.vhosts.get(name)
    if (!v) throw new NotFoundError(`no vhost '${name}'`)
    return v
  }
}
