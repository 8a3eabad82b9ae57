// exchange class: declare, delete, bind, unbind (exchange-to-exchange).
import { EXCHANGE_TYPES } from '../../core/index.js'
import { CommandInvalidError } from '../../shared/index.js'
import type { HandlerTable } from '../channel.js'

/** A removal the disk refused stays in effect (it cannot be undone); the store's retry saves it. */
const keptUntilStored = (): void => undefined

export const exchangeHandlers: HandlerTable = {
  'exchange.declare': (ch, m) => {
    if (!m.passive) {
      if (m.type === '') throw new CommandInvalidError(`invalid exchange type ''`)
      if (!EXCHANGE_TYPES.includes(m.type)) throw new CommandInvalidError(`unknown exchange type '${m.type}'`)
      if (m.exchange !== '') ch.permit('configure', 'exchange', m.exchange)
      const ae = m.arguments['alternate-exchange']
      if (typeof ae === 'string') {
        ch.permit('read', 'exchange', m.exchange)
        ch.permit('write', 'exchange', ae)
      }
    }
    const created = !m.passive && !ch.vhost.exchanges.has(m.exchange)
    const ex = ch.vhost.declareExchange({
      name: m.exchange,
      type: m.type,
      passive: m.passive,
      durable: m.durable,
      autoDelete: m.autoDelete,
      internal: m.internal,
      args: m.arguments,
    })
    return ch.afterDurable(
      () => {
        if (!m.noWait) ch.send({ name: 'exchange.declare-ok' })
      },
      created && ex.durable ? () => ch.vhost.deleteExchange(ex.name, false) : undefined,
    )
  },
  'exchange.delete': (ch, m) => {
    if (m.exchange !== '' && !m.exchange.startsWith('amq.')) ch.permit('configure', 'exchange', m.exchange)
    ch.vhost.deleteExchange(m.exchange, m.ifUnused)
    return ch.afterDurable(() => {
      if (!m.noWait) ch.send({ name: 'exchange.delete-ok' })
    }, keptUntilStored)
  },
  'exchange.bind': (ch, m) => {
    ch.permit('write', 'exchange', m.destination)
    ch.permit('read', 'exchange', m.source)
    const v = ch.vhost
    const [source, destination] = [v.getExchange(m.source), v.getExchange(m.destination)]
    const added = v.bind(source, destination, m.routingKey, m.arguments)
    return ch.afterDurable(
      () => {
        if (!m.noWait) ch.send({ name: 'exchange.bind-ok' })
      },
      added && source.durable && destination.durable
        ? () => v.unbind(source, destination, m.routingKey, m.arguments)
        : undefined,
    )
  },
  'exchange.unbind': (ch, m) => {
    ch.permit('write', 'exchange', m.destination)
    ch.permit('read', 'exchange', m.source)
    const v = ch.vhost
    v.unbind(v.getExchange(m.source), v.getExchange(m.destination), m.routingKey, m.arguments)
    return ch.afterDurable(() => {
      if (!m.noWait) ch.send({ name: 'exchange.unbind-ok' })
    }, keptUntilStored)
  },
}
