// Warren's commands for the messages an x-delayed-message exchange holds (delayed and scheduled ones):
// list_delayed_messages, cancel_delayed_message and purge_delayed_messages, in the -p vhost. RabbitMQ's
// delayed-message plugin has no such commands; these follow rabbitmqctl's list_* and purge_queue forms.
import type { Ctx, CtlCommand } from '../context.js'
import { brokerError, EXIT } from '../errors.js'
import { reasonOf, seg } from '../http.js'
import { type ColumnSpec, listing } from '../listing.js'

const delayedPath = (c: Ctx, exchange: string): string =>
  `/api/exchanges/${seg(c.vhost)}/${seg(exchange === '' ? 'amq.default' : exchange)}/delayed`

const plain: ColumnSpec = {}
const COLUMNS: Record<string, ColumnSpec> = Object.fromEntries(
  'id due due_in_ms routing_key delay repeat period cron remaining payload_bytes payload message_id'
    .split(' ')
    .map((n) => [n, plain]),
)
COLUMNS['message_id'] = { get: (item) => (item['properties'] as Record<string, unknown>)['message_id'] }

async function change(c: Ctx, method: 'DELETE', path: string, what: string): Promise<void> {
  const r = await c.api.call(method, path)
  if (r.status === 404) {
    await c.requireVhost(c.vhost)
    throw brokerError(what, EXIT.usage)
  }
  if (r.status === 400) throw brokerError(reasonOf(r), EXIT.usage)
  if (r.status !== 204) throw c.api.unexpected(method, path, r)
  await c.finish()
}

export const delayedCommands: readonly CtlCommand[] = [
  listing({
    name: 'list_delayed_messages',
    summary: 'lists the messages an x-delayed-message exchange holds, the next due first (at most 100)',
    banner: (c) => [`Listing delayed messages of an exchange in vhost ${c.vhost} ...`],
    target: { arg: '<exchange>', missing: "Exchange '%s' not found" },
    path: (c, exchange) => `${delayedPath(c, exchange)}?limit=100`,
    columns: COLUMNS,
    defaults: ['id', 'due', 'routing_key', 'remaining', 'payload_bytes'],
    selectable: true,
    whenEmpty: 'nothing',
  }),
  {
    name: 'cancel_delayed_message',
    summary: 'cancels one message an x-delayed-message exchange holds (with the rest of its schedule)',
    args: ['<exchange>', '<id>'],
    run: async (c, [exchange = '', id = '']) => {
      c.out.info(`Cancelling delayed message ${id} of exchange '${exchange}' in vhost '${c.vhost}' ...`)
      await change(
        c,
        'DELETE',
        `${delayedPath(c, exchange)}/${seg(id)}`,
        'Delayed message or exchange not found',
      )
    },
  },
  {
    name: 'purge_delayed_messages',
    summary: 'cancels every message an x-delayed-message exchange holds',
    args: ['<exchange>'],
    run: async (c, [exchange = '']) => {
      c.out.info(`Purging delayed messages of exchange '${exchange}' in vhost '${c.vhost}' ...`)
      await change(c, 'DELETE', delayedPath(c, exchange), `Exchange '${exchange}' not found`)
    },
  },
]
