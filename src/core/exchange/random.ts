// x-random, as RabbitMQ's rabbitmq_random_exchange plugin (and LavinMQ) define it: each message goes to
// one binding's destination, picked at random; the routing key plays no part. Every binding counts, so
// a queue bound twice is picked twice as often.
import type { Message } from '../message.js'
import {
  type Binding,
  type Destination,
  Exchange,
  type ExchangeOptions,
  removeFrom,
  type RouteSink,
} from './exchange.js'
import type { ExchangeType } from './exchange-type.js'

export class RandomExchange extends Exchange {
  readonly type: string = 'x-random'
  override readonly routesPerMessage = true
  /** One entry per binding. */
  private readonly dests: Destination[] = []

  constructor(
    opts: ExchangeOptions,
    /** Uniform in [0, 1); tests may pass their own. */
    private readonly random: () => number = Math.random,
  ) {
    super(opts)
  }

  route(_msg: Message, _routingKey: string, sink: RouteSink): void {
    const n = this.dests.length
    if (n === 0) return
    sink.add(this.dests[n === 1 ? 0 : Math.floor(this.random() * n)] as Destination)
  }

  protected indexAdd(b: Binding): void {
    this.dests.push(b.destination)
  }

  protected indexRemove(b: Binding): void {
    removeFrom(this.dests, b.destination) // any one entry of that destination: they are alike
  }
}

export const randomExchangeType: ExchangeType = {
  name: 'x-random',
  description: 'Randomly picks a binding (queue) to route via (to).',
  create: (opts) => new RandomExchange(opts),
}
