// The broker model: vhosts and the limits that apply to all of them. Protocol-free.
import { type Clock, type Logger, NotFoundError } from '../shared/index.js'
import type { DurabilityListener } from './ports.js'
import { VHost } from './vhost.js'

export interface BrokerLimits {
  /** Largest message body accepted, in bytes (RabbitMQ's default: 128 MiB). */
  maxMessageSize: number
}

export class Broker {
  readonly vhosts = new Map<string, VHost>()

  /** Set by the composition root when definitions and messages are stored. */
  durability: DurabilityListener | undefined

  constructor(
    readonly clock: Clock,
    readonly logger: Logger,
    readonly limits: BrokerLimits,
  ) {}

  addVhost(name: string): VHost {
    let v = this.vhosts.get(name)
    if (!v) this.vhosts.set(name, (v = new VHost(name, this.clock, this.durability)))
    return v
  }

  vhost(name: string): VHost {
    const v = this.vhosts.get(name)
    if (!v) throw new NotFoundError(`no vhost '${name}'`)
    return v
  }
}
