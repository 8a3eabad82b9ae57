// queue class: declare, bind, unbind, purge, delete.
import { generateName } from '../../core/index.js'
import type { HandlerTable } from '../channel.js'

/** A removal the disk refused stays in effect (it cannot be undone); the store's retry saves it. */
const keptUntilStored = (): void => undefined

export const queueHandlers: HandlerTable = {
  'queue.declare': (ch, m) => {
    if (m.passive && ch.vhost.isReplyQueueName(m.queue)) {
      // RabbitMQ reports the pseudo-queue and live reply addresses with one consumer.
      if (!m.noWait) ch.send({ name: 'queue.declare-ok', queue: m.queue, messageCount: 0, consumerCount: 1 })
      return
    }
    const serverNamed = m.queue === '' && !m.passive
    const name = serverNamed ? generateName('amq.gen-') : m.queue
    if (!m.passive) {
      ch.permit('configure', 'queue', name)
      const dlx = m.arguments['x-dead-letter-exchange']
      if (typeof dlx === 'string') {
        ch.permit('read', 'queue', name)
        ch.permit('write', 'exchange', dlx)
      }
    }
    const created = !m.passive && !ch.vhost.queues.has(name)
    const q = ch.vhost.declareQueue(
      {
        serverNamed,
        name,
        passive: m.passive,
        durable: m.durable,
        exclusiveOwner: m.exclusive ? ch.connectionId : undefined,
        autoDelete: m.autoDelete,
        args: m.arguments,
      },
      ch.connectionId,
    )
    ch.lastQueue = q.name
    const reply = (): void => {
      if (m.noWait) return
      ch.send({
        name: 'queue.declare-ok',
        queue: q.name,
        messageCount: q.readyCount,
        consumerCount: q.consumerCount,
      })
    }
    return ch.afterDurable(reply, created && q.durable ? () => ch.vhost.removeQueue(q) : undefined)
  },
  'queue.bind': (ch, m) => {
    ch.permit('write', 'queue', ch.queueName(m.queue))
    ch.permit('read', 'exchange', m.exchange)
    const v = ch.vhost
    const ex = v.getExchange(m.exchange)
    const q = v.getQueue(ch.queueName(m.queue), ch.connectionId)
    const added = v.bind(ex, q, m.routingKey, m.arguments)
    return ch.afterDurable(
      () => {
        if (!m.noWait) ch.send({ name: 'queue.bind-ok' })
      },
      added && ex.durable && q.durable ? () => v.unbind(ex, q, m.routingKey, m.arguments) : undefined,
    )
  },
  'queue.unbind': (ch, m) => {
    // RabbitMQ 3.10 answers unbind-ok even when the queue, the exchange or the binding is missing.
    const v = ch.vhost
    const name = ch.queueName(m.queue)
    ch.permit('write', 'queue', name)
    ch.permit('read', 'exchange', m.exchange)
    const ex = v.exchanges.get(m.exchange)
    if (ex && v.queues.has(name)) v.unbind(ex, v.getQueue(name, ch.connectionId), m.routingKey, m.arguments)
    return ch.afterDurable(() => ch.send({ name: 'queue.unbind-ok' }), keptUntilStored)
  },
  'queue.purge': (ch, m) => {
    ch.permit('read', 'queue', ch.queueName(m.queue))
    const q = ch.vhost.getQueue(ch.queueName(m.queue), ch.connectionId)
    const messageCount = q.purge()
    if (!m.noWait) ch.send({ name: 'queue.purge-ok', messageCount })
  },
  'queue.delete': (ch, m) => {
    ch.permit('configure', 'queue', ch.queueName(m.queue))
    // Consumers of this connection hear of the deletion after delete-ok, as from RabbitMQ.
    const release = ch.conn.holdNotifications()
    let messageCount: number
    try {
      messageCount = ch.vhost.deleteQueue(ch.queueName(m.queue), ch.connectionId, m.ifUnused, m.ifEmpty)
    } catch (err) {
      release()
      throw err
    }
    const reply = (): void => {
      if (!m.noWait) ch.send({ name: 'queue.delete-ok', messageCount })
      release()
    }
    const waiting = ch.afterDurable(reply, keptUntilStored)
    return waiting?.catch((err: unknown) => {
      release()
      throw err
    })
  },
}
