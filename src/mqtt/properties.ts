// MQTT 5 properties (§2.2.2): a length, then identifier and value pairs, each identifier with its own
// value type. Decoded into one object with named fields; a property given twice (other than user
// properties and subscription identifiers) or unknown breaks the protocol.
import { MalformedPacketError } from './packets.js'

export interface Properties {
  payloadFormat?: number
  messageExpiry?: number
  contentType?: string
  responseTopic?: string
  correlationData?: Buffer
  subscriptionIds?: number[]
  sessionExpiry?: number
  assignedClientId?: string
  serverKeepAlive?: number
  authenticationMethod?: string
  authenticationData?: Buffer
  requestProblemInformation?: number
  willDelay?: number
  requestResponseInformation?: number
  responseInformation?: string
  serverReference?: string
  reasonString?: string
  receiveMaximum?: number
  topicAliasMaximum?: number
  topicAlias?: number
  maximumQoS?: number
  retainAvailable?: number
  userProperties?: Array<[string, string]>
  maximumPacketSize?: number
  wildcardSubscriptionAvailable?: number
  subscriptionIdAvailable?: number
  sharedSubscriptionAvailable?: number
}

type Kind = 'byte' | 'u16' | 'u32' | 'varint' | 'string' | 'binary' | 'pair'
type Key = keyof Properties

const IDS: ReadonlyArray<[number, Key, Kind]> = [
  [0x01, 'payloadFormat', 'byte'],
  [0x02, 'messageExpiry', 'u32'],
  [0x03, 'contentType', 'string'],
  [0x08, 'responseTopic', 'string'],
  [0x09, 'correlationData', 'binary'],
  [0x0b, 'subscriptionIds', 'varint'],
  [0x11, 'sessionExpiry', 'u32'],
  [0x12, 'assignedClientId', 'string'],
  [0x13, 'serverKeepAlive', 'u16'],
  [0x15, 'authenticationMethod', 'string'],
  [0x16, 'authenticationData', 'binary'],
  [0x17, 'requestProblemInformation', 'byte'],
  [0x18, 'willDelay', 'u32'],
  [0x19, 'requestResponseInformation', 'byte'],
  [0x1a, 'responseInformation', 'string'],
  [0x1c, 'serverReference', 'string'],
  [0x1f, 'reasonString', 'string'],
  [0x21, 'receiveMaximum', 'u16'],
  [0x22, 'topicAliasMaximum', 'u16'],
  [0x23, 'topicAlias', 'u16'],
  [0x24, 'maximumQoS', 'byte'],
  [0x25, 'retainAvailable', 'byte'],
  [0x26, 'userProperties', 'pair'],
  [0x27, 'maximumPacketSize', 'u32'],
  [0x28, 'wildcardSubscriptionAvailable', 'byte'],
  [0x29, 'subscriptionIdAvailable', 'byte'],
  [0x2a, 'sharedSubscriptionAvailable', 'byte'],
]
const BY_ID = new Map(IDS.map(([id, key, kind]) => [id, { key, kind }]))
const BY_KEY = new Map(IDS.map(([id, key, kind]) => [key, { id, kind }]))

/** What the properties decoder needs from the packet's field reader. */
export interface PropertyReader {
  readonly pos: number
  u8(): number
  u16(): number
  u32(): number
  varint(): number
  string(): string
  bytes(): Buffer
}

export function readProperties(r: PropertyReader): Properties {
  const length = r.varint()
  const end = r.pos + length
  const props: Record<string, unknown> = {}
  while (r.pos < end) {
    const id = r.varint()
    const def = BY_ID.get(id)
    if (!def) throw new MalformedPacketError(`unknown property 0x${id.toString(16)}`)
    const value = readValue(r, def.kind)
    if (def.kind === 'pair' || def.key === 'subscriptionIds') {
      ;((props[def.key] ??= []) as unknown[]).push(value)
    } else {
      if (def.key in props) throw new MalformedPacketError(`property ${def.key} given twice`)
      props[def.key] = value
    }
  }
  if (r.pos !== end) throw new MalformedPacketError('properties longer than their length')
  return props as Properties
}

function readValue(r: PropertyReader, kind: Kind): unknown {
  switch (kind) {
    case 'byte':
      return r.u8()
    case 'u16':
      return r.u16()
    case 'u32':
      return r.u32()
    case 'varint':
      return r.varint()
    case 'string':
      return r.string()
    case 'binary':
      return r.bytes()
    case 'pair':
      return [r.string(), r.string()]
  }
}

/** Properties as bytes, their length first. */
export function encodeProperties(p: Properties): Buffer {
  const parts: Buffer[] = []
  for (const [key, value] of Object.entries(p) as Array<[Key, unknown]>) {
    if (value === undefined) continue
    const def = BY_KEY.get(key) as { id: number; kind: Kind }
    const values = def.kind === 'pair' || key === 'subscriptionIds' ? (value as unknown[]) : [value]
    for (const v of values) parts.push(Buffer.from(varint(def.id)), encodeValue(def.kind, v))
  }
  const body = Buffer.concat(parts)
  return Buffer.concat([Buffer.from(varint(body.length)), body])
}

function encodeValue(kind: Kind, v: unknown): Buffer {
  switch (kind) {
    case 'byte':
      return Buffer.from([v as number])
    case 'u16':
      return Buffer.from([(v as number) >> 8, (v as number) & 0xff])
    case 'u32': {
      const b = Buffer.alloc(4)
      b.writeUInt32BE(v as number)
      return b
    }
    case 'varint':
      return Buffer.from(varint(v as number))
    case 'string':
      return lengthPrefixed(Buffer.from(v as string))
    case 'binary':
      return lengthPrefixed(v as Buffer)
    case 'pair':
      return Buffer.concat((v as [string, string]).map((s) => lengthPrefixed(Buffer.from(s))))
  }
}

function lengthPrefixed(b: Buffer): Buffer {
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b])
}

/** The variable byte integer of §1.5.5 (also the remaining length). */
export function varint(n: number): number[] {
  const out: number[] = []
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return out
}
