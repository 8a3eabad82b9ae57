// exchange class: declare, delete, bind, unbind (exchange-to-exchange).
import { CommandInvalidError } from '../../shared/index.js'
import type { HandlerTable } from '../channel.js'

/** A removal the disk refused stays in effect (it cannot be undone); the store's retry saves it. */
const keptUntilStored = (): void => undefined

export const exchangeHandlers: HandlerTable = {
  'exchange.declare': (ch, m) => {
    if (!m.passive) {
      if (m.type === '') throw new CommandInvalidError(`invalid exchange type ''`)
      ch.vhost.exchangeTypes.get(m.type) // 503 for an unknown type, before any permission check
    }
    const { exchange: ex, created } = ch.session.declareExchange({
      name: m.exchange,
      type: m.type,
      passive: m.passive,
      durable: m.durable,
      autoDelete: m.autoDelete,
      internal: m.internal,
      args: m.arguments,
    })
    const reply = (): void => {
      if (!m.noWait) ch.send({ name: 'exchange.declare-ok' })
    }
    return ch.afterDurable(
      reply,
      created && ex.durable ? () => ch.vhost.deleteExchange(ex.name, false) : undefined,
    )
  },
  'exchange.delete': (ch, m) => {
    ch.session.deleteExchange(m.exchange, m.ifUnused)
    return ch.afterDurable(() => {
      if (!m.noWait) ch.send({ name: 'exchange.delete-ok' })
    }, keptUntilStored)
  },
  'exchange.bind': (ch, m) => {
    const b = ch.session.bindExchange(m.destination, m.source, m.routingKey, m.arguments)
    const reply = (): void => {
      if (!m.noWait) ch.send({ name: 'exchange.bind-ok' })
    }
    const undo = (): void => ch.vhost.unbind(b.source, b.dest, m.routingKey, m.arguments)
    return ch.afterDurable(reply, b.added && b.source.durable && b.dest.durable ? undo : undefined)
  },
  'exchange.unbind': (ch, m) => {
    ch.session.unbindExchange(m.destination, m.source, m.routingKey, m.arguments)
    return ch.afterDurable(() => {
      if (!m.noWait) ch.send({ name: 'exchange.unbind-ok' })
    }, keptUntilStored)
  },
}
