// exchange class: declare, delete, bind, unbind (exchange-to-exchange).
import { EXCHANGE_TYPES } from '../../core/index.js'
import { CommandInvalidError } from '../../shared/index.js'
import type { HandlerTable } from '../channel.js'

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
    ch.vhost.declareExchange({
      name: m.exchange,
      type: m.type,
      passive: m.passive,
      durable: m.durable,
      autoDelete: m.autoDelete,
      internal: m.internal,
      args: m.arguments,
    })
    return ch.afterDurable(() => {
      if (!m.noWait) ch.send({ name: 'exchange.declare-ok' })
    })
  },
  'exchange.delete': (ch, m) => {
    if (m.exchange !== '' && !m.exchange.startsWith('amq.')) ch.permit('configure', 'exchange', m.exchange)
    ch.vhost.deleteExchange(m.exchange, m.ifUnused)
    return ch.afterDurable(() => {
      if (!m.noWait) ch.send({ name: 'exchange.delete-ok' })
    })
  },
  'exchange.bind': (ch, m) => {
    ch.permit('write', 'exchange', m.destination)
    ch.permit('read', 'exchange', m.source)
    const v = ch.vhost
    v.bind(v.getExchange(m.source), v.getExchange(m.destination), m.routingKey, m.arguments)
    return ch.afterDurable(() => {
      if (!m.noWait) ch.send({ name: 'exchange.bind-ok' })
    })
  },
  'exchange.unbind': (ch, m) => {
    ch.permit('write', 'exchange', m.destination)
    ch.permit('read', 'exchange', m.source)
    const v = ch.vhost
    v.unbind(v.getExchange(m.source), v.getExchange(m.destination), m.routingKey, m.arguments)
    return ch.afterDurable(() => {
      if (!m.noWait) ch.send({ name: 'exchange.unbind-ok' })
    })
  },
}
