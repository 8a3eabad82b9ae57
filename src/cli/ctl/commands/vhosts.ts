// list_vhosts, add_vhost, delete_vhost, trace_on, trace_off. Tracing is switched the way the management
// UI does it, PUT /api/vhosts/<vhost> with {"tracing": true}, then read back: a broker whose API takes
// the request but does not trace is reported as such rather than trusted.
import { type Ctx, type CtlCommand, noSuchVhost } from '../context.js'
import { brokerError, CtlError, EXIT } from '../errors.js'
import { reasonOf, seg } from '../http.js'
import { listing } from '../listing.js'

const vhostPath = (name: string): string => `/api/vhosts/${seg(name)}`

interface VhostItem {
  readonly name: string
  readonly description?: string
  readonly tags?: readonly string[] | string
  readonly tracing?: boolean
}

async function findVhost(c: Ctx, name: string): Promise<VhostItem | undefined> {
  const r = await c.api.call('GET', vhostPath(name))
  if (r.status === 404) return undefined
  if (r.status !== 200) throw c.api.unexpected('GET', vhostPath(name), r)
  return r.json as VhostItem
}

async function putVhost(c: Ctx, name: string, body: Record<string, unknown>): Promise<void> {
  const r = await c.api.call('PUT', vhostPath(name), { body })
  if (r.status === 201 || r.status === 204) return
  if (r.status === 400) throw brokerError(reasonOf(r), EXIT.dataErr)
  throw c.api.unexpected('PUT', vhostPath(name), r)
}

/** The vhost's description and tags go along with the tracing flag, so that a PUT keeps them. */
async function setTracing(c: Ctx, on: boolean): Promise<void> {
  const v = await findVhost(c, c.vhost)
  if (!v) throw noSuchVhost(c.vhost)
  const tags = typeof v.tags === 'string' ? v.tags : (v.tags ?? []).join(',')
  await putVhost(c, c.vhost, { description: v.description ?? '', tags, tracing: on })
  const after = await findVhost(c, c.vhost)
  if (after?.tracing === on) return
  throw new CtlError(
    `Error: message tracing is not supported by the broker at ${c.api.where}: it accepted ` +
      `PUT ${vhostPath(c.vhost)} with {"tracing":${on}}, but vhost '${c.vhost}' still reports ` +
      `tracing=${String(after?.tracing ?? false)}`,
    EXIT.unavailable,
  )
}

export const vhostCommands: readonly CtlCommand[] = [
  listing({
    name: 'list_vhosts',
    summary: 'lists virtual hosts',
    banner: () => ['Listing vhosts ...'],
    path: () => '/api/vhosts',
    columns: {
      cluster_state: { kind: 'nodes' },
      default_queue_type: {},
      description: {},
      name: {},
      tags: { kind: 'list' },
      tracing: {},
    },
    defaults: ['name'],
    selectable: true,
    whenEmpty: 'nothing',
  }),
  {
    name: 'add_vhost',
    summary: 'creates a virtual host (an existing one is left as it is)',
    args: ['<vhost>'],
    options: [
      ['--description <description>', 'virtual host description'],
      ['--tags <tags>', 'comma-separated list of tags'],
      ['--default-queue-type <type>', 'queue type to use if no type is explicitly provided by the client'],
    ],
    run: async (c, [name = ''], opts) => {
      c.out.info(`Adding vhost "${name}" ...`)
      if (!(await findVhost(c, name))) {
        const body: Record<string, unknown> = {}
        if (opts['description'] !== undefined) body['description'] = opts['description']
        if (opts['tags'] !== undefined) body['tags'] = opts['tags']
        if (opts['defaultQueueType'] !== undefined) body['default_queue_type'] = opts['defaultQueueType']
        await putVhost(c, name, body)
      }
      await c.finish()
    },
  },
  {
    name: 'delete_vhost',
    summary: 'deletes a virtual host, with its queues, exchanges, bindings and permissions',
    args: ['<vhost>'],
    run: async (c, [name = '']) => {
      c.out.info(`Deleting vhost "${name}" ...`)
      const r = await c.api.call('DELETE', vhostPath(name))
      if (r.status === 404) throw noSuchVhost(name)
      if (r.status !== 204) throw c.api.unexpected('DELETE', vhostPath(name), r)
      await c.finish()
    },
  },
  {
    name: 'trace_on',
    summary: 'starts message tracing (to amq.rabbitmq.trace) in a vhost',
    run: async (c) => {
      c.out.info(`Starting tracing for vhost "${c.vhost}" ...`)
      await setTracing(c, true)
      const message = `Trace enabled for vhost ${c.vhost}`
      c.out.result(message)
      await c.finish({ node: await c.nodeName(), result: 'ok', value: message })
    },
  },
  {
    name: 'trace_off',
    summary: 'stops message tracing in a vhost',
    run: async (c) => {
      c.out.info(`Stopping tracing for vhost "${c.vhost}" ...`)
      await setTracing(c, false)
      const message = `Trace disabled for vhost ${c.vhost}`
      c.out.result(message)
      await c.finish({ node: await c.nodeName(), result: 'ok', value: message })
    },
  },
]
