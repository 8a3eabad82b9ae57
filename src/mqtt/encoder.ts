// Encodes the packets a broker sends (CONNACK, PUBLISH, PUBACK, SUBACK, UNSUBACK, PINGRESP, and in MQTT 5
// DISCONNECT) into one buffer each: fixed header, variable header, payload. An MQTT 5 packet is the
// 3.1.1 one with properties and reason codes: a function given properties writes the MQTT 5 form.
import { PACKET, type QoS } from './packets.js'
import { encodeProperties, type Properties, varint } from './properties.js'

function packet(byte1: number, ...parts: Buffer[]): Buffer {
  const bodyLength = parts.reduce((n, p) => n + p.length, 0)
  return Buffer.concat([Buffer.from([byte1, ...varint(bodyLength)]), ...parts])
}

const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff])

/** `properties` given: the MQTT 5 CONNACK, whose return code is a reason code. */
export function encodeConnack(sessionPresent: boolean, code: number, properties?: Properties): Buffer {
  const head = Buffer.from([sessionPresent ? 1 : 0, code])
  if (!properties) return packet(PACKET.CONNACK << 4, head)
  return packet(PACKET.CONNACK << 4, head, encodeProperties(properties))
}

/** PUBACK; in MQTT 5 with a reason code when it is not 0 (success). */
export function encodePuback(packetId: number, reasonCode = 0): Buffer {
  if (reasonCode === 0) return Buffer.from([PACKET.PUBACK << 4, 2, packetId >> 8, packetId & 0xff])
  return Buffer.from([PACKET.PUBACK << 4, 3, packetId >> 8, packetId & 0xff, reasonCode])
}

export function encodeSuback(packetId: number, codes: readonly number[], v5: boolean): Buffer {
  const props = v5 ? [Buffer.from([0])] : []
  return packet(PACKET.SUBACK << 4, u16(packetId), ...props, Buffer.from(codes))
}

/** UNSUBACK; MQTT 5 adds a reason code per topic filter. */
export function encodeUnsuback(packetId: number, codes: readonly number[] | undefined): Buffer {
  if (!codes) return packet(PACKET.UNSUBACK << 4, u16(packetId))
  return packet(PACKET.UNSUBACK << 4, u16(packetId), Buffer.from([0]), Buffer.from(codes))
}

/** MQTT 5's DISCONNECT from the server, with its reason. */
export function encodeDisconnect(reasonCode: number): Buffer {
  return Buffer.from([PACKET.DISCONNECT << 4, 1, reasonCode])
}

export const PINGRESP = Buffer.from([PACKET.PINGRESP << 4, 0])

export interface OutgoingPublish {
  readonly topic: string
  readonly qos: QoS
  readonly dup: boolean
  readonly retain: boolean
  readonly packetId: number | undefined
  readonly payload: Buffer
  /** MQTT 5 only: the publish's properties (undefined for a 3.1.1 client). */
  readonly properties?: Properties | undefined
}

export function encodePublish(p: OutgoingPublish): Buffer {
  const props = p.properties ? encodeProperties(p.properties) : undefined
  const topicLen = Buffer.byteLength(p.topic)
  const idLen = p.qos > 0 ? 2 : 0
  const bodyLen = 2 + topicLen + idLen + (props?.length ?? 0) + p.payload.length
  const len = varint(bodyLen)
  const out = Buffer.allocUnsafe(1 + len.length + bodyLen)
  out[0] = (PACKET.PUBLISH << 4) | (p.dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0)
  let pos = 1
  for (const b of len) out[pos++] = b
  out.writeUInt16BE(topicLen, pos)
  pos += 2
  pos += out.write(p.topic, pos, 'utf8')
  if (p.qos > 0) {
    out.writeUInt16BE(p.packetId ?? 0, pos)
    pos += 2
  }
  if (props) pos += props.copy(out, pos)
  p.payload.copy(out, pos)
  return out
}
