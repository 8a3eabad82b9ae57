// The channel's dispatch table: one entry per method a client may send on a channel.
import type { HandlerTable } from '../channel.js'
import { basicHandlers } from './basic.js'
import { channelHandlers } from './channel.js'
import { confirmHandlers } from './confirm.js'
import { exchangeHandlers } from './exchange.js'
import { queueHandlers } from './queue.js'
import { txHandlers } from './tx.js'

export const HANDLERS: HandlerTable = {
  ...channelHandlers,
  ...exchangeHandlers,
  ...queueHandlers,
  ...basicHandlers,
  ...confirmHandlers,
  ...txHandlers,
}
