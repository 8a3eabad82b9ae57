// Fanout exchange: every bound destination gets every message.
import type { Message } from '../message.js'
import { type Binding, type Destination, Exchange, removeFrom, type RouteSink } from './exchange.js'

export class FanoutExchange extends Exchange {
  readonly type: string = 'fanout'
  private readonly dests: Destination[] = []

  route(_msg: Message, _routingKey: string, sink: RouteSink): void {
    const d = this.dests
    for (let i = 0; i < d.length; i++) sink.add(d[i] as Destination)
  }

  protected indexAdd(b: Binding): void {
    this.dests.push(b.destination)
  }

  protected indexRemove(b: Binding): void {
    removeFrom(this.dests, b.destination)
  }
}
