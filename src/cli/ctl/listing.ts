// The list_* commands share one shape: a GET, then the chosen columns of each item. Positional
// arguments pick columns (`list_queues name messages consumers`), checked against rabbitmqctl's own
// list for that command; columns the HTTP API has no value for print empty, as RabbitMQ's do for
// queue types that lack them.
import { type Ctx, type CtlCommand, noSuchVhost } from './context.js'
import { brokerError, CtlError, EXIT } from './errors.js'
import { reasonOf } from './http.js'
import type { Column, Kind, WhenEmpty } from './output.js'

export type Item = Readonly<Record<string, unknown>>

export interface ColumnSpec {
  readonly kind?: Kind
  /** Reads the value from the API's item; default: the field of the column's name. */
  readonly get?: (item: Item) => unknown
}

export interface ListingSpec {
  readonly name: string
  readonly summary: string
  /** Informational lines printed before the rows. */
  banner(c: Ctx): readonly string[]
  /** The API path to GET (`target` is the leading argument's value); a 404 means no such vhost or target. */
  path(c: Ctx, target: string): string
  /** A leading positional argument naming what to list from (an exchange), before the columns. */
  readonly target?: { readonly arg: string; readonly missing: string }
  /** Every column rabbitmqctl accepts for this command, in its help's order. */
  readonly columns: Readonly<Record<string, ColumnSpec>>
  readonly defaults: readonly string[]
  /** Whether positional arguments choose columns (list_users and list_permissions take none). */
  readonly selectable: boolean
  readonly whenEmpty: WhenEmpty
  /** Whether an empty answer should be checked against the vhost list (an API that lists [] for any vhost). */
  readonly checkVhost?: boolean
}

export function listing(spec: ListingSpec): CtlCommand {
  return {
    name: spec.name,
    summary: spec.summary,
    args: [...(spec.target ? [spec.target.arg] : []), ...(spec.selectable ? ['[columns...]'] : [])],
    run: async (c, all) => {
      const [target, args] = spec.target ? [all[0] ?? '', all.slice(1)] : ['', all]
      const names = args.length > 0 ? args : spec.defaults
      const columns = checkColumns(spec, names)
      for (const line of spec.banner(c)) c.out.info(line)
      const items = await fetchItems(c, spec, target)
      const rows = items.map((item) => columns.map((col) => valueOf(spec, col.name, item)))
      c.out.rows(columns, rows, spec.whenEmpty)
    },
  }
}

function checkColumns(spec: ListingSpec, names: readonly string[]): Column[] {
  const unknown = names.filter((n) => !Object.hasOwn(spec.columns, n))
  if (unknown.length > 0) {
    throw new CtlError(
      `Error (argument validation): Info key(s) ${unknown.join(',')} are not supported\n` +
        `Supported: ${Object.keys(spec.columns).join(', ')}`,
      EXIT.usage,
    )
  }
  return names.map((name) => ({ name, kind: spec.columns[name]?.kind ?? 'plain' }))
}

async function fetchItems(c: Ctx, spec: ListingSpec, target: string): Promise<Item[]> {
  const path = spec.path(c, target)
  const r = await c.api.call('GET', path)
  if (r.status === 404 && spec.target) {
    await c.requireVhost(c.vhost)
    throw new CtlError(spec.target.missing.replace('%s', target), EXIT.usage)
  }
  if (r.status === 404) throw noSuchVhost(c.vhost)
  if (r.status === 400 && spec.target) throw brokerError(reasonOf(r), EXIT.usage)
  if (r.status !== 200 || !Array.isArray(r.json)) throw c.api.unexpected('GET', path, r)
  const items = r.json as Item[]
  if (items.length === 0 && spec.checkVhost) await c.requireVhost(c.vhost)
  return items
}

function valueOf(spec: ListingSpec, column: string, item: Item): unknown {
  const get = spec.columns[column]?.get
  return get ? get(item) : item[column]
}

/** A field of a nested object, e.g. `channel_details.name`. */
export const nested =
  (field: string, inner: string) =>
  (item: Item): unknown =>
    (item[field] as Item | undefined)?.[inner]
