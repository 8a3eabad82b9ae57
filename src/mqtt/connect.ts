// A CONNECT, from the packet to an open session: the checks of the protocol and client id, the login,
// the client-id registry (takeover), the connection's count in the core's tracking, and the session's
// start (present or not). MQTT 5's session expiry and clean start map onto the same queues as 3.1.1's
// clean session flag; its CONNACK tells the client what Warren offers (Maximum QoS 1, topic aliases,
// subscription identifiers, shared subscriptions).
import { randomBytes } from 'node:crypto'
import { BrokerError, type Logger } from '../shared/index.js'
import { ClientSession, type SessionWriter } from './client-session.js'
import type { MqttContext } from './context.js'
import { login } from './login.js'
import { CONNACK, type ConnectPacket } from './packets.js'
import type { Properties } from './properties.js'
import { InboundAliases, OutboundAliases } from './topic-aliases.js'

export interface ConnectingClient {
  readonly id: number
  readonly name: string
  readonly remoteAddress: string
  readonly logger: Logger
  readonly writer: SessionWriter
  /** Takes the client id (closing a connection that holds it). */
  register(clientId: string): void
  /** Counts the connection in the core's tracking; returns how to uncount it. */
  track(vhost: string, user: string): () => void
}

export type Connected =
  | {
      readonly ok: true
      readonly session: ClientSession
      readonly present: boolean
      /** MQTT 5: the CONNACK's properties. */
      readonly connack: Properties | undefined
      /** MQTT 5's topic aliases, each way (undefined when none are granted). */
      readonly aliases: { inbound?: InboundAliases; outbound?: OutboundAliases } | undefined
      readonly untrack: () => void
    }
  | { readonly ok: false; readonly code: number; readonly reason: string; readonly untrack?: () => void }

const SUPPORTED = new Set(['MQTT/4', 'MQTT/5', 'MQIsdp/3'])

export function connect(ctx: MqttContext, p: ConnectPacket, client: ConnectingClient): Connected {
  if (!SUPPORTED.has(`${p.protocolName}/${p.protocolLevel}`))
    return refused(
      CONNACK.UNACCEPTABLE_PROTOCOL_VERSION,
      `unsupported protocol ${p.protocolName} ${p.protocolLevel}`,
    )
  const v5 = p.protocolLevel === 5
  if (p.clientId === '' && !p.cleanSession)
    return refused(CONNACK.IDENTIFIER_REJECTED, 'a persistent session needs a client id')
  if (p.properties?.authenticationMethod !== undefined)
    return refused(CONNACK.BAD_USERNAME_OR_PASSWORD, 'enhanced authentication is not supported')
  const result = login(ctx, p, client.remoteAddress)
  if (!result.ok) return refused(result.code, result.reason)
  const generated = p.clientId === ''
  const clientId = generated ? randomBytes(16).toString('base64url') : p.clientId
  client.register(clientId)
  const untrack = client.track(result.vhost.name, result.user.name)
  const expiry = sessionExpiry(ctx, p)
  const session = new ClientSession(ctx, {
    vhost: result.vhost,
    user: result.user.name,
    clientId,
    cleanStart: p.cleanSession,
    expiry: expiry.ms,
    connectionId: client.id,
    connectionName: client.name,
    v5,
    prefetch: Math.min(ctx.settings.prefetch, p.properties?.receiveMaximum ?? 65535),
    writer: client.writer,
    logger: client.logger,
    counters: ctx.counters?.of(p.protocolLevel),
  })
  let present: boolean
  try {
    present = session.start()
  } catch (err) {
    if (!(err instanceof BrokerError)) throw err
    return { ...refused(CONNACK.SERVER_UNAVAILABLE, `cannot start the session: ${err.message}`), untrack }
  }
  const aliasMax = ctx.settings.topicAliasMaximum ?? DEFAULT_TOPIC_ALIAS_MAXIMUM
  const connack = v5
    ? connackProperties(generated ? clientId : undefined, expiry.granted, aliasMax)
    : undefined
  const aliases = v5 ? topicAliases(aliasMax, p.properties?.topicAliasMaximum ?? 0) : undefined
  return { ok: true, session, present, connack, aliases, untrack }
}

/** RabbitMQ 3.13's mqtt.topic_alias_maximum. */
const DEFAULT_TOPIC_ALIAS_MAXIMUM = 16

/**
 * The client sets up to Warren's maximum; Warren gives up to the lower of the client's and its own (as
 * RabbitMQ 3.13 does), none when the client's CONNECT allows none.
 */
function topicAliases(
  ours: number,
  theirs: number,
): { inbound?: InboundAliases; outbound?: OutboundAliases } {
  const aliases: { inbound?: InboundAliases; outbound?: OutboundAliases } = {}
  if (ours > 0) aliases.inbound = new InboundAliases(ours)
  if (Math.min(ours, theirs) > 0) aliases.outbound = new OutboundAliases(Math.min(ours, theirs))
  return aliases
}

const refused = (code: number, reason: string): Connected => ({ ok: false, code, reason })

/**
 * How long the session outlives the connection (ms; undefined: never). 3.1.1: a clean session ends with
 * it, another lasts mqtt.subscription_ttl. MQTT 5: the Session Expiry Interval, capped at
 * mqtt.subscription_ttl (`granted` is the cap, in seconds, when it applied: the CONNACK says so).
 */
function sessionExpiry(ctx: MqttContext, p: ConnectPacket): { ms: number | undefined; granted?: number } {
  const ttl = ctx.settings.subscriptionTtl
  if (p.protocolLevel !== 5) return { ms: p.cleanSession ? 0 : ttl }
  const asked = p.properties?.sessionExpiry ?? 0
  if (asked === 0) return { ms: 0 }
  const askedMs = asked === 0xffffffff ? Infinity : asked * 1000
  if (ttl === undefined || askedMs <= ttl) return { ms: askedMs === Infinity ? undefined : askedMs }
  return { ms: ttl, granted: Math.floor(ttl / 1000) }
}

function connackProperties(
  assignedClientId: string | undefined,
  sessionExpiry: number | undefined,
  topicAliasMaximum: number,
): Properties {
  const props: Properties = {
    maximumQoS: 1,
    subscriptionIdAvailable: 1,
    sharedSubscriptionAvailable: 1,
  }
  if (topicAliasMaximum > 0) props.topicAliasMaximum = topicAliasMaximum
  if (assignedClientId !== undefined) props.assignedClientId = assignedClientId
  if (sessionExpiry !== undefined) props.sessionExpiry = sessionExpiry
  return props
}
