// add_super_stream and delete_super_stream, as `rabbitmq-streams` has them (RabbitMQ puts them in that
// tool; `warren ctl` has them beside the rest), in the -p vhost, through Warren's
// /api/stream/super-streams/{vhost}/{name}.
import type { Ctx, CtlCommand } from '../context.js'
import { brokerError, EXIT } from '../errors.js'
import { reasonOf, seg } from '../http.js'

const path = (c: Ctx, name: string): string => `/api/stream/super-streams/${seg(c.vhost)}/${seg(name)}`

/** The partition streams' arguments from rabbitmq-streams' options. */
function streamArguments(opts: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const args: Record<string, unknown> = {}
  if (opts['maxLengthBytes'] !== undefined) args['x-max-length-bytes'] = Number(opts['maxLengthBytes'])
  if (opts['maxAge'] !== undefined) args['x-max-age'] = opts['maxAge']
  if (opts['streamMaxSegmentSizeBytes'] !== undefined)
    args['x-stream-max-segment-size-bytes'] = Number(opts['streamMaxSegmentSizeBytes'])
  return args
}

export const superStreamCommands: readonly CtlCommand[] = [
  {
    name: 'add_super_stream',
    summary: 'creates a super stream: a direct exchange and its partition streams',
    args: ['<name>'],
    options: [
      ['--partitions <n>', 'number of partitions, named <name>-0 .. <name>-(n-1) (default 3)'],
      ['--routing-keys <keys>', 'comma-separated binding keys, one partition <name>-<key> each'],
      ['--max-length-bytes <bytes>', 'retention of every partition by size'],
      ['--max-age <age>', 'retention of every partition by age (e.g. 7D, 12h)'],
      ['--stream-max-segment-size-bytes <bytes>', 'segment size of every partition'],
    ],
    run: async (c, [name = ''], opts) => {
      c.out.info(`Adding super stream ${name} to vhost ${c.vhost} ...`)
      const body: Record<string, unknown> = { arguments: streamArguments(opts) }
      if (opts['partitions'] !== undefined) body['partitions'] = Number(opts['partitions'])
      if (opts['routingKeys'] !== undefined) body['binding-keys'] = opts['routingKeys']
      const p = path(c, name)
      const r = await c.api.call('PUT', p, { body })
      if (r.status === 404) {
        await c.requireVhost(c.vhost)
        throw c.api.unexpected('PUT', p, r)
      }
      if (r.status === 400) throw brokerError(reasonOf(r), EXIT.usage)
      if (r.status !== 201) throw c.api.unexpected('PUT', p, r)
      await c.finish()
    },
  },
  {
    name: 'delete_super_stream',
    summary: 'deletes a super stream: its partition streams and its exchange',
    args: ['<name>'],
    run: async (c, [name = '']) => {
      c.out.info(`Deleting super stream ${name} in vhost ${c.vhost} ...`)
      const p = path(c, name)
      const r = await c.api.call('DELETE', p)
      if (r.status === 404) {
        await c.requireVhost(c.vhost)
        throw brokerError(`Super stream '${name}' not found`, EXIT.usage)
      }
      if (r.status !== 204) throw c.api.unexpected('DELETE', p, r)
      await c.finish()
    },
  },
]
