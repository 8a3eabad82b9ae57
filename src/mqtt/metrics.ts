// The MQTT front end's Prometheus counters. RabbitMQ 3.10 has no MQTT label: its plugin publishes and
// consumes through internal AMQP 0-9-1 channels, so MQTT messages show among protocol="amqp091"'s. Since
// 3.12 (native MQTT) RabbitMQ counts them apart, by protocol version: mqtt310, mqtt311 and (3.13) mqtt50,
// with the queue type of the subscription queues. Warren does the same; the core Sessions count into
// them (session.ts), and AMQP 0-9-1's samples leave them out.
import { ProtocolCounters } from '../core/index.js'
import type { ClientSession } from './client-session.js'

/** The labels by CONNECT protocol level, and the management API's name of that protocol. */
const VERSIONS = [
  [3, 'mqtt310', 'MQTT 3.1'],
  [4, 'mqtt311', 'MQTT 3.1.1'],
  [5, 'mqtt50', 'MQTT 5.0'],
] as const

/** What the gauges read of an open connection. */
export interface CountedConnection {
  readonly protocol: string
  readonly channels: ReadonlyMap<number, ClientSession>
}

export class MqttCounters {
  private readonly byLevel = new Map<number, ProtocolCounters>()

  constructor() {
    for (const [level, label] of VERSIONS)
      this.byLevel.set(level, new ProtocolCounters(label, 'rabbit_classic_queue', [], true))
  }

  get all(): ProtocolCounters[] {
    return [...this.byLevel.values()]
  }

  /** The counters of a CONNECT's protocol level (3, 4 or 5; the decoder refuses any other). */
  of(level: number): ProtocolCounters | undefined {
    return this.byLevel.get(level)
  }

  /** Publishers and consumers are read off the open connections of each version when asked. */
  watch(connections: Iterable<CountedConnection>): void {
    for (const [level, , name] of VERSIONS) {
      const pc = this.byLevel.get(level)
      if (pc) pc.gauges = () => clients(connections, name)
    }
  }
}

/** A session that has published counts as a publisher, as an AMQP channel does. */
function clients(
  connections: Iterable<CountedConnection>,
  protocol: string,
): { publishers: number; consumers: number } {
  let publishers = 0
  let consumers = 0
  for (const c of connections) {
    if (c.protocol !== protocol) continue
    for (const s of c.channels.values()) {
      consumers += s.consumersByTag.size
      if (s.stats.publish > 0) publishers++
    }
  }
  return { publishers, consumers }
}
