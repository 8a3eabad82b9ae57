// confirm class: publisher confirms.
import { PreconditionFailedError } from '../../shared/index.js'
import type { HandlerTable } from '../channel.js'

export const confirmHandlers: HandlerTable = {
  'confirm.select': (ch, m) => {
    if (ch.settlement.txMode) throw new PreconditionFailedError('cannot switch from tx to confirm mode')
    ch.enableConfirms()
    if (!m.nowait) ch.send({ name: 'confirm.select-ok' })
  },
}
