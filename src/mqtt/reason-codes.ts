// MQTT 5 reason codes Warren sends (§2.4), and how the MQTT 3.1.1 CONNACK return codes and the core's
// domain errors translate to them.
import { BrokerError } from '../shared/index.js'
import { CONNACK, MalformedPacketError } from './packets.js'

export const REASON = {
  SUCCESS: 0x00,
  DISCONNECT_WITH_WILL: 0x04,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  UNSPECIFIED_ERROR: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC: 0x83,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  CLIENT_ID_NOT_VALID: 0x85,
  BAD_USERNAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_UNAVAILABLE: 0x88,
  SERVER_SHUTTING_DOWN: 0x8b,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  ADMINISTRATIVE_ACTION: 0x98,
  QOS_NOT_SUPPORTED: 0x9b,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
  SUBSCRIPTION_IDS_NOT_SUPPORTED: 0xa1,
} as const

/**
 * An MQTT 5 protocol violation that the server answers with its own reason code in the DISCONNECT
 * (0x82 protocol error, 0x94 topic alias invalid) rather than 0x81 malformed packet.
 */
export class ProtocolError extends MalformedPacketError {
  constructor(
    message: string,
    readonly reasonCode: number = REASON.PROTOCOL_ERROR,
  ) {
    super(message)
  }
}

/** A CONNACK refusal of MQTT 3.1.1 as MQTT 5 says it. */
export function connackReason(returnCode: number): number {
  switch (returnCode) {
    case CONNACK.UNACCEPTABLE_PROTOCOL_VERSION:
      return REASON.UNSUPPORTED_PROTOCOL_VERSION
    case CONNACK.IDENTIFIER_REJECTED:
      return REASON.CLIENT_ID_NOT_VALID
    case CONNACK.BAD_USERNAME_OR_PASSWORD:
      return REASON.BAD_USERNAME_OR_PASSWORD
    case CONNACK.NOT_AUTHORIZED:
      return REASON.NOT_AUTHORIZED
    default:
      return REASON.SERVER_UNAVAILABLE
  }
}

/** The reason an error gives an MQTT 5 client (a PUBACK's or a DISCONNECT's). */
export function errorReason(err: unknown): number {
  if (err instanceof ProtocolError) return err.reasonCode
  if (err instanceof MalformedPacketError) return REASON.MALFORMED_PACKET
  if (!(err instanceof BrokerError)) return REASON.UNSPECIFIED_ERROR
  if (err.code === 'ACCESS_REFUSED') return REASON.NOT_AUTHORIZED
  // The core's only precondition on a publish's size: larger than max_message_size.
  if (err.code === 'PRECONDITION_FAILED' && /larger than configured max size/.test(err.message))
    return REASON.PACKET_TOO_LARGE
  return REASON.IMPLEMENTATION_SPECIFIC
}
