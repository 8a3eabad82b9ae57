// The last will of a connection that ended without DISCONNECT: published now or (MQTT 5) after its Will
// Delay Interval, bounded by the session's expiry; a new connection of the client id within the delay
// cancels it (§3.1.3.2.2).
import type { Logger } from '../shared/index.js'
import type { ClientSession } from './client-session.js'
import type { Will } from './packets.js'

/** Delays a will until `ms` have passed, unless the client id connects again first. */
export interface WillDelayer {
  delayWill(clientId: string, ms: number, publish: () => void): void
}

export function sendLastWill(will: Will, session: ClientSession, delayer: WillDelayer, logger: Logger): void {
  const publish = (): void => {
    try {
      session.publish(will.topic, will.qos, false, will.retain, will.payload, will.properties)
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'could not publish the last will')
    }
  }
  const delay = Math.min((will.properties?.willDelay ?? 0) * 1000, session.expiry ?? Infinity)
  if (delay > 0) delayer.delayWill(session.clientId, delay, publish)
  else publish()
}
