// Encodes the packets a broker sends (CONNACK, PUBLISH, PUBACK, SUBACK, UNSUBACK, PINGRESP) into one
// buffer each: fixed header, variable header, payload.
import { PACKET, type QoS } from './packets.js'

/** The remaining-length varint of §2.2.3 (1 to 4 bytes). */
function lengthBytes(n: number): number[] {
  const out: number[] = []
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return out
}

function packet(byte1: number, body: Buffer): Buffer {
  const len = lengthBytes(body.length)
  const out = Buffer.allocUnsafe(1 + len.length + body.length)
  out[0] = byte1
  for (let i = 0; i < len.length; i++) out[1 + i] = len[i] as number
  body.copy(out, 1 + len.length)
  return out
}

export function encodeConnack(sessionPresent: boolean, returnCode: number): Buffer {
  return Buffer.from([PACKET.CONNACK << 4, 2, sessionPresent ? 1 : 0, returnCode])
}

/** A packet of a type and a packet id only (PUBACK, UNSUBACK). */
export function encodeIdOnly(type: typeof PACKET.PUBACK | typeof PACKET.UNSUBACK, packetId: number): Buffer {
  return Buffer.from([type << 4, 2, packetId >> 8, packetId & 0xff])
}

export function encodeSuback(packetId: number, returnCodes: readonly number[]): Buffer {
  return packet(PACKET.SUBACK << 4, Buffer.from([packetId >> 8, packetId & 0xff, ...returnCodes]))
}

export const PINGRESP = Buffer.from([PACKET.PINGRESP << 4, 0])

export interface OutgoingPublish {
  readonly topic: string
  readonly qos: QoS
  readonly dup: boolean
  readonly retain: boolean
  readonly packetId: number | undefined
  readonly payload: Buffer
}

export function encodePublish(p: OutgoingPublish): Buffer {
  const topicLen = Buffer.byteLength(p.topic)
  const idLen = p.qos > 0 ? 2 : 0
  const bodyLen = 2 + topicLen + idLen + p.payload.length
  const len = lengthBytes(bodyLen)
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
  p.payload.copy(out, pos)
  return out
}
