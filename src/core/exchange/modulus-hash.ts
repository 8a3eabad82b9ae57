// x-modulus-hash, as RabbitMQ's rabbitmq_sharding plugin defines it: each message goes to one binding's
// destination, the hash of its routing key modulo the number of bindings. Every binding counts, so a
// queue bound twice (with two keys) is picked twice as often. The bindings are taken in the order of
// RabbitMQ's route table, which is sorted (routing key, then exchanges before queues, then name), not in
// the order they were made: the pick does not depend on the order bindings were made or recovered in.
// Adding a binding moves most keys (that is what modulus hashing does; x-consistent-hash does not).
import type { Message } from '../message.js'
import { type Binding, Exchange, removeFrom, type RouteSink } from './exchange.js'
import type { ExchangeType } from './exchange-type.js'
import { hashText } from './key-hash.js'

export class ModulusHashExchange extends Exchange {
  readonly type: string = 'x-modulus-hash'
  override readonly routesPerMessage = true
  /** The bindings in route-table order, kept sorted as they come and go. */
  private readonly ordered: Binding[] = []

  route(_msg: Message, routingKey: string, sink: RouteSink): void {
    const n = this.ordered.length
    if (n === 0) return
    sink.add((this.ordered[hashText(routingKey) % n] as Binding).destination)
  }

  protected indexAdd(b: Binding): void {
    // After every binding that sorts before it or equal to it (equal ones differ in arguments only).
    let i = this.ordered.length
    while (i > 0 && compareRoutes(this.ordered[i - 1] as Binding, b) > 0) i--
    this.ordered.splice(i, 0, b)
  }

  protected indexRemove(b: Binding): void {
    removeFrom(this.ordered, b)
  }
}

/** RabbitMQ's route-table order: routing key octets, then destination kind and name octets. */
function compareRoutes(a: Binding, b: Binding): number {
  return (
    compareOctets(a.routingKey, b.routingKey) ||
    compareOctets(a.destination.kind, b.destination.kind) ||
    compareOctets(a.destination.name, b.destination.name)
  )
}

/** UTF-8 octet order (JavaScript's < compares UTF-16 code units, which differs above U+D7FF). */
function compareOctets(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b))
}

export const modulusHashExchangeType: ExchangeType = {
  name: 'x-modulus-hash',
  description: 'Modulus Hashing Exchange',
  create: (opts) => new ModulusHashExchange(opts),
}
