// purge_queue, delete_queue (in the -p vhost) and close_connection. Connections are named as the HTTP
// API and list_connections name them ("127.0.0.1:50123 -> 127.0.0.1:5672"): Warren has no Erlang pids.
import type { Ctx, CtlCommand } from '../context.js'
import { brokerError, EXIT } from '../errors.js'
import { reasonOf, seg } from '../http.js'

const queuePath = (c: Ctx, name: string): string => `/api/queues/${seg(c.vhost)}/${seg(name)}`

function deleteBanner(c: Ctx, name: string, ifEmpty: boolean, ifUnused: boolean): string {
  const conditions = [ifEmpty ? 'if queue is empty' : '', ifUnused ? 'if queue is unused' : '']
  const suffix = conditions.filter((s) => s !== '').join(' and ')
  return `Deleting queue '${name}' on vhost '${c.vhost}'${suffix === '' ? '' : ' ' + suffix} ...`
}

/** RabbitMQ's wording for the two preconditions; the API reports them as 400 with the AMQP text. */
function deleteRefused(reason: string): string {
  if (/in use/.test(reason)) return 'Queue is in use'
  if (/not empty/.test(reason)) return 'Queue is not empty'
  return reason
}

async function readyCount(c: Ctx, name: string): Promise<number> {
  const r = await c.api.call('GET', queuePath(c, name))
  if (r.status === 404) {
    await c.requireVhost(c.vhost) // a missing vhost is exit 65 for every command
    throw brokerError('Queue not found', EXIT.usage)
  }
  if (r.status !== 200) throw c.api.unexpected('GET', queuePath(c, name), r)
  const ready = (r.json as { messages_ready?: unknown } | undefined)?.messages_ready
  return typeof ready === 'number' ? ready : 0
}

/** HTTP header values are bytes: characters outside printable ASCII would make fetch throw. */
const headerSafe = (s: string): string => s.replace(/[^\x20-\x7e]/g, '?')

export const queueCommands: readonly CtlCommand[] = [
  {
    name: 'purge_queue',
    summary: 'purges a queue (removes all ready messages in it)',
    args: ['<queue>'],
    run: async (c, [name = '']) => {
      c.out.info(`Purging queue '${name}' in vhost '${c.vhost}' ...`)
      const path = `${queuePath(c, name)}/contents`
      const r = await c.api.call('DELETE', path)
      if (r.status === 404) {
        await c.requireVhost(c.vhost)
        throw brokerError('Queue not found', EXIT.unavailable)
      }
      if (r.status !== 204) throw c.api.unexpected('DELETE', path, r)
      await c.finish()
    },
  },
  {
    name: 'delete_queue',
    summary: 'deletes a queue',
    args: ['<queue>'],
    options: [
      ['-e, --if-empty', 'delete the queue only if it is empty (has no messages ready for delivery)'],
      ['-u, --if-unused', 'delete the queue only if it has no consumers'],
    ],
    run: async (c, [name = ''], opts) => {
      const ifEmpty = opts['ifEmpty'] === true
      const ifUnused = opts['ifUnused'] === true
      c.out.info(deleteBanner(c, name, ifEmpty, ifUnused))
      const ready = await readyCount(c, name)
      const query = new URLSearchParams()
      if (ifEmpty) query.set('if-empty', 'true')
      if (ifUnused) query.set('if-unused', 'true')
      const path = queuePath(c, name) + (ifEmpty || ifUnused ? `?${query}` : '')
      const r = await c.api.call('DELETE', path)
      if (r.status === 404) {
        await c.requireVhost(c.vhost) // a missing vhost is exit 65 for every command
        throw brokerError('Queue not found', EXIT.usage)
      }
      if (r.status === 400) throw brokerError(deleteRefused(reasonOf(r)), EXIT.usage)
      if (r.status !== 204) throw c.api.unexpected('DELETE', path, r)
      const message = `Queue was successfully deleted with ${ready} ready messages`
      c.out.result(message)
      await c.finish({ message })
    },
  },
  {
    name: 'close_connection',
    summary: 'closes a connection, named as list_connections shows it, with an explanation',
    args: ['<connection>', '<explanation>'],
    run: async (c, [name = '', explanation = '']) => {
      c.out.info(`Closing connection ${name}, reason: ${explanation}...`)
      const path = `/api/connections/${seg(name)}`
      const r = await c.api.call('DELETE', path, { headers: { 'x-reason': headerSafe(explanation) } })
      if (r.status === 404) {
        throw brokerError(`Connection '${name}' not found (see list_connections name)`, EXIT.unavailable)
      }
      if (r.status !== 204) throw c.api.unexpected('DELETE', path, r)
      await c.finish()
    },
  },
]
