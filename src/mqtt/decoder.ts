// The MQTT 3.1/3.1.1 packet decoder: socket chunks in, whole packets out, split anywhere. Every packet is
// checked as the specification asks (reserved flags, lengths, well-formed UTF-8, packet ids, wildcards in
// topic names); anything wrong throws MalformedPacketError, and the connection that sent it is closed.
import {
  type AckPacket,
  type ClientPacket,
  type DisconnectPacket,
  type ConnectPacket,
  MalformedPacketError,
  PACKET,
  type PublishPacket,
  type QoS,
  type SubscribePacket,
  type Subscription,
  type UnsubscribePacket,
  type Will,
} from './packets.js'
import { readProperties } from './properties.js'
import { ProtocolError } from './reason-codes.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Reads the fields of one packet's body, refusing to read past its end. */
class FieldReader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  get remaining(): number {
    return this.end - this.pos
  }

  u8(): number {
    this.need(1)
    return this.buf[this.pos++] as number
  }

  u16(): number {
    this.need(2)
    const v = this.buf.readUInt16BE(this.pos)
    this.pos += 2
    return v
  }

  bytes(): Buffer {
    const n = this.u16()
    this.need(n)
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n))
    this.pos += n
    return b
  }

  /** A UTF-8 string (§1.5.3): malformed UTF-8 or U+0000 breaks the protocol. */
  string(): string {
    const n = this.u16()
    this.need(n)
    let s: string
    try {
      s = utf8.decode(this.buf.subarray(this.pos, this.pos + n))
    } catch {
      throw new MalformedPacketError('malformed UTF-8 string')
    }
    if (s.includes('\u0000')) throw new MalformedPacketError('U+0000 in a string')
    this.pos += n
    return s
  }

  u32(): number {
    this.need(4)
    const v = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }

  /** A variable byte integer (§1.5.5, MQTT 5). */
  varint(): number {
    let value = 0
    let multiplier = 1
    for (let i = 0; i < 4; i++) {
      const b = this.u8()
      value += (b & 0x7f) * multiplier
      if ((b & 0x80) === 0) return value
      multiplier *= 128
    }
    throw new MalformedPacketError('variable byte integer longer than 4 bytes')
  }

  rest(): Buffer {
    const b = Buffer.from(this.buf.subarray(this.pos, this.end))
    this.pos = this.end
    return b
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new MalformedPacketError('packet shorter than its fields')
  }
}

export class PacketDecoder {
  /** The bytes of a partial packet, kept as they came: joined once the packet is complete. */
  private parts: Buffer[] = []
  private partsLength = 0
  /** Bytes the partial packet needs in all (0 while its fixed header is incomplete). */
  private needed = 0
  /** The protocol level of the connection's CONNECT: 5 adds properties and reason codes. */
  level = 4

  /** `maxPacketSize`: a larger remaining length is refused before its bytes arrive. */
  constructor(private readonly maxPacketSize: number) {}

  /** Feeds a chunk; returns the packets it completes (none while a packet is partial). */
  push(chunk: Buffer): ClientPacket[] {
    let buf = chunk
    if (this.parts.length > 0) {
      this.parts.push(chunk)
      this.partsLength += chunk.length
      // A large packet arriving in many chunks is joined once, not once per chunk.
      if (this.partsLength < this.needed) return []
      buf = Buffer.concat(this.parts, this.partsLength)
      this.parts = []
      this.partsLength = 0
    }
    const out: ClientPacket[] = []
    let pos = 0
    for (;;) {
      const header = readFixedHeader(buf, pos, this.maxPacketSize)
      const end = header ? header.bodyStart + header.length : 0
      if (!header || end > buf.length) {
        this.needed = header ? end - pos : 0
        break
      }
      const packet = decodeBody(header.byte1, new FieldReader(buf, header.bodyStart, end), this.level === 5)
      if (packet.type === PACKET.CONNECT) this.level = packet.protocolLevel
      out.push(packet)
      pos = end
    }
    if (pos < buf.length) {
      this.parts = [Buffer.from(buf.subarray(pos))]
      this.partsLength = buf.length - pos
    }
    return out
  }
}

interface FixedHeader {
  byte1: number
  length: number
  bodyStart: number
}

/** The fixed header at `pos`, or undefined until enough bytes are there (§2.2.3). */
function readFixedHeader(buf: Buffer, pos: number, max: number): FixedHeader | undefined {
  if (pos + 2 > buf.length) return undefined
  const byte1 = buf[pos] as number
  let length = 0
  let multiplier = 1
  for (let i = 1; i <= 4; i++) {
    if (pos + i >= buf.length) return undefined
    const b = buf[pos + i] as number
    length += (b & 0x7f) * multiplier
    if ((b & 0x80) === 0) {
      if (length > max) throw new MalformedPacketError(`packet of ${length} bytes exceeds the maximum ${max}`)
      return { byte1, length, bodyStart: pos + i + 1 }
    }
    multiplier *= 128
  }
  throw new MalformedPacketError('remaining length longer than 4 bytes')
}

function decodeBody(byte1: number, r: FieldReader, v5: boolean): ClientPacket {
  const type = byte1 >> 4
  const flags = byte1 & 0x0f
  if (type === PACKET.PUBLISH) return decodePublish(flags, r, v5)
  // PUBREL, SUBSCRIBE and UNSUBSCRIBE carry flags 0010, every other packet 0000 (§2.2.2).
  const expected = type === PACKET.PUBREL || type === PACKET.SUBSCRIBE || type === PACKET.UNSUBSCRIBE ? 2 : 0
  if (flags !== expected) throw new MalformedPacketError(`invalid flags ${flags} for packet type ${type}`)
  switch (type) {
    case PACKET.CONNECT:
      return decodeConnect(r)
    case PACKET.PUBACK:
    case PACKET.PUBREC:
    case PACKET.PUBREL:
    case PACKET.PUBCOMP:
      return decodeAck(type, r, v5)
    case PACKET.SUBSCRIBE:
      return decodeSubscribe(r, v5)
    case PACKET.UNSUBSCRIBE:
      return decodeUnsubscribe(r, v5)
    case PACKET.PINGREQ:
      return finish(r, { type })
    case PACKET.DISCONNECT:
      return decodeDisconnect(r, v5)
    default:
      throw new MalformedPacketError(`packet type ${type} is not one a client sends`)
  }
}

/** A packet with bytes left over after its fields is malformed. */
function finish<P extends ClientPacket>(r: FieldReader, p: P): P {
  if (r.remaining !== 0) throw new MalformedPacketError('bytes after the last field')
  return p
}

function packetId(r: FieldReader): number {
  const id = r.u16()
  if (id === 0) throw new MalformedPacketError('packet identifier 0')
  return id
}

function qosOf(bits: number): QoS {
  if (bits > 2) throw new MalformedPacketError('QoS 3')
  return bits as QoS
}

/** PUBACK and its kin: a packet id, and in MQTT 5 an optional reason code and properties. */
function decodeAck(type: AckPacket['type'], r: FieldReader, v5: boolean): AckPacket {
  const id = packetId(r)
  if (!v5 || r.remaining === 0) return finish(r, { type, packetId: id })
  const reasonCode = r.u8()
  if (r.remaining > 0) readProperties(r)
  return finish(r, { type, packetId: id, reasonCode })
}

function decodeDisconnect(r: FieldReader, v5: boolean): DisconnectPacket {
  if (!v5 || r.remaining === 0) return finish(r, { type: PACKET.DISCONNECT, reasonCode: 0 })
  const reasonCode = r.u8()
  if (r.remaining > 0) readProperties(r)
  return finish(r, { type: PACKET.DISCONNECT, reasonCode })
}

function decodePublish(flags: number, r: FieldReader, v5: boolean): PublishPacket {
  const qos = qosOf((flags >> 1) & 3)
  const topic = r.string()
  if (/[+#]/.test(topic)) throw new MalformedPacketError(`invalid topic name '${topic}'`)
  const id = qos > 0 ? packetId(r) : undefined
  const properties = v5 ? readProperties(r) : undefined
  // MQTT 5 allows an empty topic with a topic alias (the connection resolves it).
  if (topic === '' && properties?.topicAlias === undefined) {
    if (v5) throw new ProtocolError('a PUBLISH without a topic name or a topic alias')
    throw new MalformedPacketError(`invalid topic name ''`)
  }
  if (properties?.subscriptionIds !== undefined)
    throw new ProtocolError('a subscription identifier in a PUBLISH from a client')
  return {
    properties,
    type: PACKET.PUBLISH,
    topic,
    qos,
    dup: (flags & 8) !== 0,
    retain: (flags & 1) !== 0,
    packetId: id,
    payload: r.rest(),
  }
}

function decodeConnect(r: FieldReader): ConnectPacket {
  const protocolName = r.string()
  const protocolLevel = r.u8()
  const known =
    (protocolName === 'MQTT' && (protocolLevel === 4 || protocolLevel === 5)) ||
    (protocolName === 'MQIsdp' && protocolLevel === 3)
  // Another protocol or version is answered with return code 1, unread.
  if (!known) return unknownConnect(protocolName, protocolLevel)
  const v5 = protocolLevel === 5
  const flags = r.u8()
  if ((flags & 1) !== 0) throw new MalformedPacketError('reserved CONNECT flag set')
  const keepalive = r.u16()
  const properties = v5 ? readProperties(r) : undefined
  const clientId = r.string()
  const will = (flags & 0x04) !== 0 ? readWill(flags, r, v5) : undefined
  if (!will && (flags & 0x38) !== 0) throw new MalformedPacketError('will QoS or retain without a will')
  const username = (flags & 0x80) !== 0 ? r.string() : undefined
  const password = (flags & 0x40) !== 0 ? r.bytes() : undefined
  return finish(r, {
    type: PACKET.CONNECT,
    protocolName,
    protocolLevel,
    cleanSession: (flags & 0x02) !== 0,
    properties,
    keepalive,
    clientId,
    will,
    username,
    password,
  })
}

function readWill(flags: number, r: FieldReader, v5: boolean): Will {
  const properties = v5 ? readProperties(r) : undefined
  const topic = r.string()
  if (topic === '' || /[+#]/.test(topic)) throw new MalformedPacketError(`invalid will topic '${topic}'`)
  const qos = qosOf((flags >> 3) & 3)
  return { topic, payload: r.bytes(), qos, retain: (flags & 0x20) !== 0, properties }
}

function unknownConnect(protocolName: string, protocolLevel: number): ConnectPacket {
  return {
    type: PACKET.CONNECT,
    protocolName,
    protocolLevel,
    cleanSession: true,
    keepalive: 0,
    clientId: '',
    will: undefined,
    username: undefined,
    password: undefined,
  }
}

function decodeSubscribe(r: FieldReader, v5: boolean): SubscribePacket {
  const id = packetId(r)
  const properties = v5 ? readProperties(r) : undefined
  const ids = properties?.subscriptionIds
  if (ids && (ids.length > 1 || ids[0] === 0))
    throw new ProtocolError('a SUBSCRIBE with a subscription identifier 0 or more than one')
  const subscriptions: Subscription[] = []
  while (r.remaining > 0) {
    const filter = r.string()
    const options = r.u8()
    // MQTT 5 uses bits 2-5 for no local, retain as published and retain handling.
    if ((options & (v5 ? 0xc0 : 0xfc)) !== 0 || (options & 0x30) === 0x30)
      throw new MalformedPacketError('reserved subscription option bits set')
    subscriptions.push({
      filter,
      qos: qosOf(options & 3),
      noLocal: (options & 4) !== 0,
      retainAsPublished: (options & 8) !== 0,
      retainHandling: (options >> 4) & 3,
    })
  }
  if (subscriptions.length === 0) throw new MalformedPacketError('SUBSCRIBE without a topic filter')
  return { type: PACKET.SUBSCRIBE, packetId: id, subscriptions, properties }
}

function decodeUnsubscribe(r: FieldReader, v5: boolean): UnsubscribePacket {
  const id = packetId(r)
  if (v5) readProperties(r)
  const filters: string[] = []
  while (r.remaining > 0) filters.push(r.string())
  if (filters.length === 0) throw new MalformedPacketError('UNSUBSCRIBE without a topic filter')
  return { type: PACKET.UNSUBSCRIBE, packetId: id, filters }
}
