// The MQTT 3.1 and 3.1.1 control packets as the decoder hands them out and the encoder takes them.
// Only what a broker receives is decoded; only what it sends is encoded (packets.ts names both).

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
}

export interface ConnectPacket {
  readonly type: typeof PACKET.CONNECT
  /** 'MQTT' (3.1.1) or 'MQIsdp' (3.1); anything else is answered with return code 1. */
  readonly protocolName: string
  /** 4 for 3.1.1, 3 for 3.1 (5 for MQTT 5, refused). */
  readonly protocolLevel: number
  readonly cleanSession: boolean
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
}

export interface Subscription {
  readonly filter: string
  readonly qos: QoS
}

export interface SubscribePacket {
  readonly type: typeof PACKET.SUBSCRIBE
  readonly packetId: number
  readonly subscriptions: readonly Subscription[]
}

export interface UnsubscribePacket {
  readonly type: typeof PACKET.UNSUBSCRIBE
  readonly packetId: number
  readonly filters: readonly string[]
}

export interface EmptyPacket {
  readonly type: typeof PACKET.PINGREQ | typeof PACKET.PINGRESP | typeof PACKET.DISCONNECT
}

export interface ConnackPacket {
  readonly type: typeof PACKET.CONNACK
  readonly sessionPresent: boolean
  readonly returnCode: number
}

export interface SubackPacket {
  readonly type: typeof PACKET.SUBACK
  readonly packetId: number
  readonly returnCodes: readonly number[]
}

/** What a client sends a broker. */
export type ClientPacket =
  ConnectPacket | PublishPacket | AckPacket | SubscribePacket | UnsubscribePacket | EmptyPacket

/** What a broker sends a client. */
export type ServerPacket = ConnackPacket | PublishPacket | AckPacket | SubackPacket | EmptyPacket

/** A packet that breaks the protocol: the connection that sent it is closed (MQTT 3.1.1 §4.8). */
export class MalformedPacketError extends Error {}
