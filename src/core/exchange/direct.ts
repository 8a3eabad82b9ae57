// Direct exchange: routes on exact routing-key equality. One map lookup per publish.
import type { Message } from '../message.js'
import { type Binding, type Destination, Exchange, removeFrom, type RouteSink } from './exchange.js'

export class DirectExchange extends Exchange {
  readonly type: string = 'direct'
  private readonly byKey = new Map<string, Destination[]>()

  route(_msg: Message, routingKey: string, sink: RouteSink): void {
    const dests = this.byKey.get(routingKey)
    if (dests) for (let i = 0; i < dests.length; i++) sink.add(dests[i] as Destination)
  }

  protected indexAdd(b: Binding): void {
    const list = this.byKey.get(b.routingKey)
    if (list) list.push(b.destination)
    else this.byKey.set(b.routingKey, [b.destination])
  }

  protected indexRemove(b: Binding): void {
    const list = this.byKey.get(b.routingKey)
    if (!list) return
    removeFrom(list, b.destination)
    if (list.length === 0) this.byKey.delete(b.routingKey)
  }
}
