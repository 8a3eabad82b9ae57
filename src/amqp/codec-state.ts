// The decoding scratch objects and caches of one AMQP server's connections: one broker in a process
// shares none of them with another. The broker runs on one thread, so its connections take turns.
import { Reader, ShortStringCache, Writer } from '../protocol/index.js'
import { PropertiesCache } from './properties-cache.js'
import { Slab } from './slab.js'

export class CodecState {
  /** Decodes methods and content headers; remembers short strings (exchange names, routing keys). */
  readonly reader = new Reader(new ShortStringCache())
  /** Encodes the properties of messages made by the broker (dead-lettered, traced), once each. */
  readonly propsWriter = new Writer(4096)
  /** Property sets that repeat, decoded once (see properties-cache.ts). */
  readonly properties = new PropertiesCache()
  /** Where small bodies and property bytes are copied out of socket chunks (see slab.ts). */
  readonly slab = new Slab()
}
