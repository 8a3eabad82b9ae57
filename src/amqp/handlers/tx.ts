// tx class: AMQP transactions over publishes and acknowledgements.
import { PreconditionFailedError } from '../../shared/index.js'
import type { Channel, HandlerTable } from '../channel.js'

function requireTx(ch: Channel): void {
  if (!ch.settlement.txMode) throw new PreconditionFailedError('channel is not transactional')
}

export const txHandlers: HandlerTable = {
  'tx.select': (ch) => {
    if (ch.confirmMode) throw new PreconditionFailedError('cannot switch from confirm to tx mode')
    ch.settlement.selectTx()
    ch.send({ name: 'tx.select-ok' })
  },
  'tx.commit': (ch) => {
    requireTx(ch)
    const durable = ch.settlement.commitTx()
    if (!durable) return ch.send({ name: 'tx.commit-ok' })
    return durable.then(() => ch.send({ name: 'tx.commit-ok' }))
  },
  'tx.rollback': (ch) => {
    requireTx(ch)
    ch.settlement.rollbackTx()
    ch.send({ name: 'tx.rollback-ok' })
  },
}
