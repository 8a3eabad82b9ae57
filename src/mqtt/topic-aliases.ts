// MQTT 5 topic aliases (§3.3.2.3.4), a connection's two independent tables, as RabbitMQ 3.13 keeps them.
// Client to server: the CONNACK's Topic Alias Maximum (mqtt.topic_alias_maximum, 16) bounds the aliases
// a client may set; a PUBLISH with a topic and an alias sets it, one with an empty topic uses it.
// Server to client: when the client's CONNECT allows aliases, each new topic gets the next free alias
// (up to the lower of the client's maximum and Warren's) and later deliveries to it go with an empty topic.
import { encodePublish, type OutgoingPublish } from './encoder.js'
import { ProtocolError, REASON } from './reason-codes.js'

/** The aliases a client has set on this connection. */
export class InboundAliases {
  private readonly topics = new Map<number, string>()

  constructor(private readonly maximum: number) {}

  /**
   * The topic a PUBLISH with `alias` names: `topic` itself when it has one (the alias is then set to it),
   * else the topic the alias was set to. An alias out of range is 0x94; an unknown one 0x82.
   */
  resolve(topic: string, alias: number): string {
    if (alias === 0 || alias > this.maximum)
      throw new ProtocolError(`topic alias ${alias} out of range`, REASON.TOPIC_ALIAS_INVALID)
    if (topic !== '') {
      this.topics.set(alias, topic)
      return topic
    }
    const known = this.topics.get(alias)
    if (known === undefined) throw new ProtocolError(`topic alias ${alias} was never set`)
    return known
  }
}

/** A PUBLISH's topic resolved through the connection's aliases (none granted: every alias is invalid). */
export function aliasedTopic(aliases: InboundAliases | undefined, topic: string, alias: number): string {
  if (!aliases) throw new ProtocolError('topic alias without a grant', REASON.TOPIC_ALIAS_INVALID)
  return aliases.resolve(topic, alias)
}

/** The aliases Warren gives the topics it sends this client. */
export class OutboundAliases {
  private readonly aliases = new Map<string, number>()

  constructor(private readonly maximum: number) {}

  /**
   * The PUBLISH encoded with an alias: an empty topic when the topic has one; the topic and a new alias
   * while aliases are left and the packet fits in `maxSize` (a packet not sent must not set an alias the
   * client never heard of); else the plain packet.
   */
  encode(p: OutgoingPublish, maxSize: number): Buffer {
    const known = this.aliases.get(p.topic)
    if (known !== undefined) return encodePublish({ ...p, topic: '', properties: withAlias(p, known) })
    if (this.aliases.size >= this.maximum) return encodePublish(p)
    const alias = this.aliases.size + 1
    const packet = encodePublish({ ...p, properties: withAlias(p, alias) })
    if (packet.length <= maxSize) this.aliases.set(p.topic, alias)
    return packet
  }
}

/** A copy of the publish's properties with the alias (the properties may be shared between publishes). */
const withAlias = (p: OutgoingPublish, alias: number): OutgoingPublish['properties'] => ({
  ...p.properties,
  topicAlias: alias,
})
