// The MQTT 3.1, 3.1.1 and 5 control packets a broker receives, as the decoder hands them out
// (decoder.ts); encoder.ts writes what it sends.
import type { Properties } from './properties.js'

export type QoS = 0 | 1 | 2

export const PACKET = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
} as const

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3). */
export const CONNACK = {
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const

/** The SUBACK return code of a refused subscription. */
export const SUBACK_FAILURE = 0x80

export interface Will {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: QoS
  readonly retain: boolean
  /** MQTT 5 will properties (message expiry, content type, ...). */
  readonly properties?: Properties | undefined
}

export interface ConnectPacket {
  readonly type: typeof PACKET.CONNECT
  /** 'MQTT' (3.1.1) or 'MQIsdp' (3.1); anything else is answered with return code 1. */
  readonly protocolName: string
  /** 4 for 3.1.1, 3 for 3.1, 5 for MQTT 5. */
  readonly protocolLevel: number
  /** Clean session (3.1.1), clean start (5). */
  readonly cleanSession: boolean
  readonly properties?: Properties | undefined
  /** Seconds; 0 turns the keepalive off. */
  readonly keepalive: number
  readonly clientId: string
  readonly will: Will | undefined
  readonly username: string | undefined
  readonly password: Buffer | undefined
}

export interface PublishPacket {
  readonly type: typeof PACKET.PUBLISH
  readonly topic: string
  readonly qos: QoS
  readonly dup: boolean
  readonly retain: boolean
  /** Present for QoS 1 and 2. */
  readonly packetId: number | undefined
  readonly payload: Buffer
  readonly properties?: Properties | undefined
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a packet id and nothing else. */
export interface AckPacket {
  readonly type:
    | typeof PACKET.PUBACK
    | typeof PACKET.PUBREC
    | typeof PACKET.PUBREL
    | typeof PACKET.PUBCOMP
    | typeof PACKET.UNSUBACK
  readonly packetId: number
  /** MQTT 5: the reason code (0 when left out). */
  readonly reasonCode?: number
}

export interface Subscription {
  readonly filter: string
  readonly qos: QoS
  /** MQTT 5 subscription options. */
  readonly noLocal?: boolean
  readonly retainAsPublished?: boolean
  /** 0: send retained messages at subscribe; 1: only for a new subscription; 2: never. */
  readonly retainHandling?: number
}

export interface SubscribePacket {
  readonly type: typeof PACKET.SUBSCRIBE
  readonly packetId: number
  readonly subscriptions: readonly Subscription[]
  readonly properties?: Properties | undefined
}

export interface UnsubscribePacket {
  readonly type: typeof PACKET.UNSUBSCRIBE
  readonly packetId: number
  readonly filters: readonly string[]
}

export interface EmptyPacket {
  readonly type: typeof PACKET.PINGREQ | typeof PACKET.PINGRESP
}

export interface DisconnectPacket {
  readonly type: typeof PACKET.DISCONNECT
  /** MQTT 5: 0 normal, 4 disconnect with the will message, ... (0 when left out). */
  readonly reasonCode: number
}

/** What a client sends a broker. */
export type ClientPacket =
  | ConnectPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | UnsubscribePacket
  | EmptyPacket
  | DisconnectPacket

/** A packet that breaks the protocol: the connection that sent it is closed (MQTT 3.1.1 §4.8). */
export class MalformedPacketError extends Error {}
