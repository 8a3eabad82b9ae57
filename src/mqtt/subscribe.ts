// SUBSCRIBE and UNSUBSCRIBE packets, entry by entry, into the session: the SUBACK's and UNSUBACK's codes,
// MQTT 5's options (No Local, the Subscription Identifier, retain handling) and its protocol errors.
import type { ClientSession } from './client-session.js'
import { SUBACK_FAILURE, type SubscribePacket } from './packets.js'
import { ProtocolError, REASON } from './reason-codes.js'
import { parseShared } from './shared-subscriptions.js'

export interface Subscribed {
  /** The SUBACK's codes, one per entry (a 3.1.1 client gets 0x80 for every refusal). */
  readonly codes: number[]
  /** Sends the retained messages the new subscriptions match: after the SUBACK. */
  readonly sendRetained: () => void
}

export function subscribeAll(session: ClientSession, p: SubscribePacket, v5: boolean): Subscribed {
  // §3.8.3.1: No Local on a shared subscription is a protocol error.
  if (v5 && p.subscriptions.some((s) => s.noLocal === true && parseShared(s.filter) !== undefined))
    throw new ProtocolError('No Local on a shared subscription')
  const id = p.properties?.subscriptionIds?.[0]
  const results = p.subscriptions.map((s) =>
    session.subscriptions.subscribe(s.filter, s.qos, { noLocal: v5 && s.noLocal === true, id }),
  )
  const codes = results.map((r) => (v5 || r.code < SUBACK_FAILURE ? r.code : SUBACK_FAILURE))
  // Retained messages follow the SUBACK (MQTT 5's retain handling: 1 only for a new subscription, 2
  // never; a shared subscription gets none, §4.8.2).
  const sendRetained = (): void =>
    p.subscriptions.forEach((s, i) => {
      const r = results[i] as { code: number; isNew: boolean }
      const handling = s.retainHandling ?? 0
      if (r.code >= SUBACK_FAILURE || handling === 2 || (handling === 1 && !r.isNew)) return
      if (v5 && parseShared(s.filter) !== undefined) return
      session.sendRetained(s.filter, r.code as 0 | 1)
    })
  return { codes, sendRetained }
}

/** The UNSUBACK's reason codes (MQTT 5: 0x11 for a filter the session had no subscription to). */
export function unsubscribeAll(
  session: ClientSession,
  filters: readonly string[],
  v5: boolean,
): number[] | undefined {
  const existed = filters.map((f) => session.subscriptions.unsubscribe(f))
  return v5 ? existed.map((e) => (e ? REASON.SUCCESS : REASON.NO_SUBSCRIPTION_EXISTED)) : undefined
}
