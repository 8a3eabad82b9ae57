// Super streams over HTTP (what `warren ctl add_super_stream` calls; RabbitMQ makes them with
// `rabbitmq-streams add_super_stream` or the Stream protocol): PUT creates the exchange and its partition
// streams, DELETE removes them, GET lists one or all with their partitions in order. The same permissions
// apply as to declaring the exchange and the streams one by one.
import {
  declareSuperStream,
  deleteSuperStream,
  type Exchange,
  partitionBindings,
  SUPER_STREAM_ARG,
  superStreamExchange,
  superStreamLayout,
  type VHost,
} from '../../core/index.js'
import { listedVhosts } from '../auth.js'
import { badRequest, orHttp } from '../http-errors.js'
import { jsonToTable } from '../json.js'
import { type Item, replyItem, replyList } from '../listing.js'
import type { Call, Routes } from '../server.js'
import { httpSession } from '../session.js'
import { vhostForRead, vhostForWrite } from './exchanges.js'

const PATH = '/api/stream/super-streams/:vhost/:name'

export function registerSuperStreamRoutes(routes: Routes): void {
  routes.add('GET', '/api/stream/super-streams', 'management', (c) =>
    replyList(
      listedVhosts(c.ctx, c.user).flatMap((v) => superStreamsOf(v)),
      c.query,
    ),
  )
  routes.add('GET', '/api/stream/super-streams/:vhost', 'management', (c) =>
    replyList(superStreamsOf(vhostForRead(c)), c.query),
  )
  routes.add('GET', PATH, 'management', (c) => {
    const v = vhostForRead(c)
    return replyItem(
      formatSuperStream(
        v,
        orHttp(() => superStreamExchange(v, c.params['name'] ?? '')),
      ),
      c.query,
    )
  })
  routes.add('PUT', PATH, 'management', (c) => createSuperStream(c))
  routes.add('DELETE', PATH, 'management', (c) => {
    const v = vhostForWrite(c)
    orHttp(() => deleteSuperStream(httpSession(c, v), v, c.params['name'] ?? '', -1))
  })
}

/** Body: `partitions` (a count, 3 by default) or `binding-keys` (a list or a comma-separated string), and `arguments` of every partition stream. */
function createSuperStream(c: Call): void {
  const v = vhostForWrite(c)
  const name = c.params['name'] ?? ''
  if (name === '') throw badRequest('a super stream needs a name')
  const body = c.body()
  const count = body['partitions'] === undefined ? undefined : Number(body['partitions'])
  const keys = bindingKeys(body['binding-keys'] ?? body['binding_keys'])
  const layout = orHttp(() => superStreamLayout(name, count, keys))
  const args = jsonToTable(body['arguments'])
  orHttp(() => declareSuperStream(httpSession(c, v), v, { name, ...layout, args }, -1))
  c.notStored(() => orHttp(() => deleteSuperStream(httpSession(c, v), v, name, -1)))
  c.reply.code(201)
}

function bindingKeys(v: unknown): string[] | undefined {
  if (v === undefined) return undefined
  const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : undefined
  if (!list || list.some((k) => typeof k !== 'string' || k.trim() === ''))
    throw badRequest('binding-keys must be a list of names or a comma-separated string')
  return list.map((k) => (k as string).trim())
}

function superStreamsOf(v: VHost): Item[] {
  return [...v.exchanges.values()]
    .filter((ex) => ex.args[SUPER_STREAM_ARG] === true)
    .map((ex) => formatSuperStream(v, ex))
}

function formatSuperStream(v: VHost, ex: Exchange): Item {
  return {
    name: ex.name,
    vhost: v.name,
    partitions: partitionBindings(ex).map((b) => ({ name: b.destination.name, binding_key: b.routingKey })),
  }
}
