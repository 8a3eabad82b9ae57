// What follows a PUBLISH on its connection: the PUBACK, once the message is safe in every durable queue it
// reached and in the order of the publishes; and what holds the connection's next packets back: a queue
// whose consumers cannot keep up (credit flow) or a resource alarm (the connection is blocked once it
// publishes, as an AMQP publisher is).
import type { Broker, DurabilityTicket, PublishResult } from '../core/index.js'
import { encodePuback } from './encoder.js'
import type { Keepalive } from './keepalive.js'
import type { SocketOutput } from '../shared/index.js'

export class PublishFlow {
  /** The PUBACKs still waiting for their messages' durability, chained in order. */
  private pending: Promise<void> | undefined
  /** Set while the connection is blocked by a resource alarm. */
  private stopWaitingForAlarms: (() => void) | undefined
  private closed = false

  constructor(
    private readonly broker: Broker,
    private readonly output: SocketOutput,
    private readonly keepalive: Keepalive,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** A PUBACK (with an MQTT 5 reason code when not 0) once `tickets` are flushed, after earlier ones. */
  puback(packetId: number, tickets: readonly DurabilityTicket[], reason = 0): void {
    const send = (): void => this.output.write(encodePuback(packetId, reason))
    if (tickets.length === 0 && !this.pending) return send()
    const chain: Promise<void> = Promise.all([this.pending, ...tickets.map((t) => t.flush())]).then(() => {
      if (this.pending === chain) this.pending = undefined
      if (!this.closed) send()
    })
    this.pending = chain
    chain.catch((err: unknown) => this.failed(err))
  }

  /** What the connection must wait for before reading on, if anything. */
  holdAfter(result: PublishResult): Promise<void> | undefined {
    const congested = result.congested
    const drained = congested && new Promise<void>((resolve) => congested.whenDrained(resolve))
    const alarmsClear = this.broker.alarms.size > 0 ? this.untilAlarmsClear() : undefined
    if (drained || alarmsClear) return Promise.all([drained, alarmsClear]).then(() => undefined)
    return undefined
  }

  close(): void {
    this.closed = true
    this.stopWaitingForAlarms?.()
  }

  private untilAlarmsClear(): Promise<void> {
    return new Promise((resolve) => {
      const stop = this.broker.onAlarmsChanged((alarms) => {
        if (alarms.size > 0) return
        this.stopWaitingForAlarms = undefined
        this.keepalive.paused = false
        stop()
        resolve()
      })
      this.stopWaitingForAlarms = stop
      // A blocked connection is not read: its client's silence says nothing (RabbitMQ pauses it too).
      this.keepalive.paused = true
    })
  }
}
