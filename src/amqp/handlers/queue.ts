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
    const { queue: q, created } = ch.session.declareQueue(
      {
        serverNamed,
        name,
        passive: m.passive,
        // As RabbitMQ's channel does: an exclusive queue dies with its connection, so it is never durable
        // (amqplib asks for durable by default; storing it would cost every persistent message a write).
        durable: m.durable && !m.exclusive,
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
    const b = ch.session.bindQueue(
      ch.queueName(m.queue),
      m.exchange,
      m.routingKey,
      m.arguments,
      ch.connectionId,
    )
    const reply = (): void => {
      if (!m.noWait) ch.send({ name: 'queue.bind-ok' })
    }
    const undo = (): void => ch.vhost.unbind(b.source, b.dest, m.routingKey, m.arguments)
    return ch.afterDurable(reply, b.added && b.source.durable && b.dest.durable ? undo : undefined)
  },
  'queue.unbind': (ch, m) => {
    ch.session.unbindQueue(ch.queueName(m.queue), m.exchange, m.routingKey, m.arguments, ch.connectionId)
    return ch.afterDurable(() => ch.send({ name: 'queue.unbind-ok' }), keptUntilStored)
  },
  'queue.purge': (ch, m) => {
    const messageCount = ch.session.purge(ch.queueName(m.queue), ch.connectionId)
    if (!m.noWait) ch.send({ name: 'queue.purge-ok', messageCount })
  },
  'queue.delete': (ch, m) => {
    // Consumers of this connection hear of the deletion after delete-ok, as from RabbitMQ.
    const release = ch.conn.output.holdNotifications()
    let messageCount: number
    try {
      messageCount = ch.session.deleteQueue(ch.queueName(m.queue), ch.connectionId, m.ifUnused, m.ifEmpty)
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
