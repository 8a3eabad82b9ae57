// basic class: publish, consume, cancel, get, qos, ack/nack/reject, recover.
import { generateName, REPLY_TO } from '../../core/index.js'
import { NotAllowedError, NotImplementedError } from '../../shared/index.js'
import type { HandlerTable } from '../channel.js'
import { ChannelConsumer } from '../channel-consumer.js'

export const basicHandlers: HandlerTable = {
  'basic.publish': (ch, m) => {
    if (m.immediate) throw new NotImplementedError('immediate=true')
    ch.content.start(ch.session.exchangeForPublish(m.exchange, m.routingKey), m.routingKey, m.mandatory)
  },
  'basic.qos': (ch, m) => {
    if (m.prefetchSize !== 0) throw new NotImplementedError(`prefetch_size!=0 (${m.prefetchSize})`)
    if (m.global) ch.globalPrefetch = m.prefetchCount
    else {
      // As RabbitMQ 3.10 does (rabbit_limiter:unlimit_prefetch): a per-consumer qos drops a channel-wide one.
      ch.prefetchCount = m.prefetchCount
      ch.globalPrefetch = 0
    }
    ch.send({ name: 'basic.qos-ok' })
    ch.resumeConsumers()
  },
  'basic.consume': (ch, m) => {
    const tag = m.consumerTag === '' ? generateName('amq.ctag-') : m.consumerTag
    if (ch.consumers.has(tag)) throw new NotAllowedError(`attempt to reuse consumer tag '${tag}'`)
    const name = ch.queueName(m.queue)
    const c =
      name === REPLY_TO
        ? ch.directReply.consume(tag, m.noAck, m.arguments)
        : new ChannelConsumer(
            ch,
            ch.session.queueToConsume(name, ch.connectionId),
            tag,
            m.noAck,
            m.exclusive,
            ch.prefetchCount,
            m.arguments,
          )
    c.queue.checkConsumable(c)
    ch.addConsumer(c)
    // consume-ok must precede the first delivery, so it is written before the queue is told.
    if (!m.noWait) ch.send({ name: 'basic.consume-ok', consumerTag: tag })
    c.queue.addConsumer(c)
  },
  'basic.cancel': (ch, m) => {
    ch.cancelConsumer(m.consumerTag)
    if (!m.noWait) ch.send({ name: 'basic.cancel-ok', consumerTag: m.consumerTag })
  },
  'basic.get': (ch, m) => {
    const q = ch.session.queueToConsume(ch.queueName(m.queue), ch.connectionId)
    const answer = (): void => {
      const taken = q.get(m.noAck)
      if (taken) {
        if (taken.wait) ch.conn.output.holdUntil(taken.wait)
        ch.deliverGet(q, taken.entry, m.noAck)
      } else {
        ch.stats.getEmpty++
        ch.send({ name: 'basic.get-empty' })
      }
    }
    // The head of a long durable queue may be on disk only: read it back before answering.
    if (q.waitingForPageIn) return q.pageIn().then(answer)
    return answer()
  },
  'basic.ack': (ch, m) => ch.settlement.ack(m.deliveryTag, m.multiple),
  'basic.nack': (ch, m) => ch.settlement.reject(m.deliveryTag, m.multiple, m.requeue),
  'basic.reject': (ch, m) => ch.settlement.reject(m.deliveryTag, false, m.requeue),
  'basic.recover': (ch, m) => {
    if (!m.requeue) throw new NotImplementedError('requeue=false')
    // recover-ok comes first; the redeliveries follow it, as RabbitMQ sends them.
    ch.send({ name: 'basic.recover-ok' })
    ch.settlement.requeueAll()
  },
  'basic.recover-async': (ch, m) => {
    if (!m.requeue) throw new NotImplementedError('requeue=false')
    ch.settlement.requeueAll()
  },
}
