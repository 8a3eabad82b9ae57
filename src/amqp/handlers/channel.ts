// channel class: flow and close (open is handled by the connection, which owns channel numbers).
import { NotImplementedError } from '../../shared/index.js'
import type { HandlerTable } from '../channel.js'

export const channelHandlers: HandlerTable = {
  'channel.close': (ch) => {
    ch.teardown()
    ch.conn.channelClosed(ch.id)
    ch.send({ name: 'channel.close-ok' })
  },
  'channel.close-ok': () => {
    // Only meaningful after a server-initiated close, which the connection handles.
  },
  'channel.flow': (ch, m) => {
    // RabbitMQ 3.x refuses to pause deliveries this way (consumers should use prefetch instead).
    if (!m.active) throw new NotImplementedError('active=false')
    ch.flowActive = true
    ch.send({ name: 'channel.flow-ok', active: true })
  },
  'channel.flow-ok': () => {},
}
