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

/**
 * A topic name as the packet carries it (length, then UTF-8), kept by topic: a subscription is sent the
 * same few topics over and over. Dropped whole past TOPIC_CACHE_LIMIT entries.
 */
const TOPIC_CACHE_LIMIT = 4096
const topicBytes = new Map<string, Buffer>()

function encodedTopic(topic: string): Buffer {
  let b = topicBytes.get(topic)
  if (b !== undefined) return b
  const len = Buffer.byteLength(topic)
  b = Buffer.allocUnsafe(2 + len)
  b.writeUInt16BE(len, 0)
  b.write(topic, 2, 'utf8')
  if (topicBytes.size >= TOPIC_CACHE_LIMIT) topicBytes.clear()
  topicBytes.set(topic, b)
  return b
}

export function encodePublish(p: OutgoingPublish): Buffer {
  const props = p.properties ? encodeProperties(p.properties) : undefined
  const topic = encodedTopic(p.topic)
  const idLen = p.qos > 0 ? 2 : 0
  const bodyLen = topic.length + idLen + (props?.length ?? 0) + p.payload.length
  const lenBytes = bodyLen < 128 ? 1 : bodyLen < 16_384 ? 2 : bodyLen < 2_097_152 ? 3 : 4
  const out = Buffer.allocUnsafe(1 + lenBytes + bodyLen)
  out[0] = (PACKET.PUBLISH << 4) | (p.dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0)
  let pos = 1
  // The remaining length as a variable byte integer (§1.5.5), written in place.
  for (let n = bodyLen; ;) {
    const b = n & 0x7f
    n = Math.floor(n / 128)
    out[pos++] = n > 0 ? b | 0x80 : b
    if (n === 0) break
  }
  pos += topic.copy(out, pos)
  if (p.qos > 0) {
    out.writeUInt16BE(p.packetId ?? 0, pos)
    pos += 2
  }
  if (props) pos += props.copy(out, pos)
  p.payload.copy(out, pos)
  return out
}
