// /api/bindings: listings, and bindings between an exchange and a queue (.../e/{source}/q/{queue}) or
// another exchange (.../e/{source}/e/{destination}), each binding addressed by its properties key.
import { type Destination, type Exchange, isQueue, type Session, type VHost } from '../../core/index.js'
import type { FieldTable } from '../../shared/index.js'
import { listedVhosts } from '../auth.js'
import {
  type BindingView,
  bindingView,
  defaultBinding,
  exchangeUrlName,
  formatBinding,
  matchesPropertiesKey,
  propertiesKey,
} from '../format/objects.js'
import { HttpError, notFound, orHttp } from '../http-errors.js'
import { jsonToTable } from '../json.js'
import { replyItem, replyList } from '../listing.js'
import type { Call, Routes } from '../server.js'
import { httpSession } from '../session.js'
import { vhostForRead, vhostForWrite } from './exchanges.js'

type Kind = 'q' | 'e'

interface Ends {
  v: VHost
  source: Exchange
  dest: Destination
}

/** The two ends named in the URL; `missing` makes the error for one that does not exist. */
function ends(v: VHost, c: Call, kind: Kind, missing: (what: string, name: string) => HttpError): Ends {
  const sourceName = c.params['source'] ?? ''
  const destName = c.params['dest'] ?? ''
  const source = v.exchanges.get(exchangeUrlName(sourceName))
  if (!source) throw missing('exchange', sourceName)
  const dest = kind === 'q' ? v.queues.get(destName) : v.exchanges.get(exchangeUrlName(destName))
  if (!dest) throw missing(kind === 'q' ? 'queue' : 'exchange', destName)
  return { v, source, dest }
}

function endsOrUndefined(v: VHost, c: Call, kind: Kind): Ends | undefined {
  try {
    return ends(v, c, kind, () => notFound())
  } catch {
    return undefined
  }
}

function between({ source, dest }: Ends): BindingView[] {
  const list = source.bindings.filter((b) => b.destination === dest).map(bindingView)
  if (source.name === '' && isQueue(dest)) list.unshift(defaultBinding(dest))
  return list
}

function findBinding(e: Ends, props: string): BindingView {
  const b = between(e).find((x) => matchesPropertiesKey(x, props))
  if (!b) throw notFound()
  return b
}

export function registerBindingRoutes(routes: Routes): void {
  routes.add('GET', '/api/bindings', 'management', ({ ctx, user, query }) =>
    replyList(
      listedVhosts(ctx, user).flatMap((v) => vhostBindingItems(v)),
      query,
    ),
  )
  routes.add('GET', '/api/bindings/:vhost', 'management', (c) =>
    replyList(vhostBindingItems(vhostForRead(c)), c.query),
  )
  for (const kind of ['q', 'e'] as const) {
    const base = `/api/bindings/:vhost/e/:source/${kind}/:dest`
    routes.add('GET', base, 'management', (c) => {
      const v = vhostForRead(c)
      // RabbitMQ lists nothing (rather than 404) when either end is missing.
      const e = endsOrUndefined(v, c, kind)
      return replyList(e ? between(e).map(formatBinding) : [], c.query)
    })
    routes.add('POST', base, 'management', (c) => createBinding(c, kind))
    routes.add('GET', `${base}/:props`, 'management', (c) => {
      const e = ends(vhostForRead(c), c, kind, () => notFound())
      return replyItem(formatBinding(findBinding(e, c.params['props'] ?? '')), c.query)
    })
    routes.add('DELETE', `${base}/:props`, 'management', (c) => {
      const e = ends(vhostForWrite(c), c, kind, () => notFound())
      const b = findBinding(e, c.params['props'] ?? '')
      orHttp(() => unbind(httpSession(c, e.v), e, b.routingKey, b.args))
    })
  }
}

function vhostBindingItems(v: VHost): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (const q of v.queues.values()) out.push(formatBinding(defaultBinding(q)))
  for (const ex of v.exchanges.values()) for (const b of ex.bindings) out.push(formatBinding(bindingView(b)))
  // RabbitMQ lists bindings sorted by source, destination, routing key and arguments.
  const key = (b: Record<string, unknown>): string =>
    [
      b['source'],
      b['destination_type'],
      b['destination'],
      b['routing_key'],
      JSON.stringify(b['arguments']),
    ].join('\u0000')
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

/** Binds through the session, as queue.bind and exchange.bind do: the same permission checks. */
function bind(session: Session, e: Ends, key: string, args: FieldTable): boolean {
  const { source, dest } = e
  return isQueue(dest)
    ? session.bindQueue(dest.name, source.name, key, args, -1).added
    : session.bindExchange(dest.name, source.name, key, args).added
}

function unbind(session: Session, e: Ends, key: string, args: FieldTable): void {
  const { source, dest } = e
  if (isQueue(dest)) session.unbindQueue(dest.name, source.name, key, args, -1)
  else session.unbindExchange(dest.name, source.name, key, args)
}

function createBinding(c: Call, kind: Kind): void {
  const v = vhostForWrite(c)
  const e = ends(
    v,
    c,
    kind,
    (what, name) => new HttpError(404, 'not_found', `no ${what} '${name}' in vhost '${v.name}'`),
  )
  const body = c.body()
  const routingKey = typeof body['routing_key'] === 'string' ? body['routing_key'] : ''
  const args = jsonToTable(body['arguments'])
  const added = orHttp(() => bind(httpSession(c, v), e, routingKey, args))
  if (added && e.source.durable && e.dest.durable)
    c.notStored(() => v.unbind(e.source, e.dest, routingKey, args))
  // As RabbitMQ: the properties key is percent-encoded once more in the Location header.
  const props = encodeURIComponent(propertiesKey({ routingKey, args }))
  c.reply.code(201).header('location', `${encodeURIComponent(e.dest.name)}/${props}`)
}
