// The STOMP front end's Prometheus counters. No RabbitMQ release has a STOMP label: its plugin publishes
// and consumes through internal AMQP 0-9-1 channels, so STOMP messages show among protocol="amqp091"'s.
// Warren counts them apart under protocol="stomp" (the label its rabbitmq_auth_attempts_* use), as
// RabbitMQ 3.12+ counts native MQTT apart; the core Sessions count into them (session.ts), and AMQP
// 0-9-1's samples leave them out.
import { ProtocolCounters } from '../core/index.js'
import type { StompSession } from './stomp-session.js'

export function stompCounters(): ProtocolCounters {
  return new ProtocolCounters('stomp', 'rabbit_classic_queue', [], true)
}

/** Publishers and consumers are read off the open connections when asked. */
export function watchStompClients(
  pc: ProtocolCounters,
  connections: Iterable<{ readonly channels: ReadonlyMap<number, StompSession> }>,
): void {
  pc.gauges = () => {
    let publishers = 0
    let consumers = 0
    for (const c of connections) {
      for (const s of c.channels.values()) {
        consumers += s.subscriptions.size
        if (s.stats.publish > 0) publishers++
      }
    }
    return { publishers, consumers }
  }
}
