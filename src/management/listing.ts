// RabbitMQ's list query parameters: sort and sort_reverse, columns (dotted paths into each item), and
// pagination (page, page_size up to 500, name filter as a case-insensitive substring or a regular
// expression with use_regex=true, run on RE2: see shared/user-pattern.ts). Pagination applies only when
// `page` is given, as in RabbitMQ.
import { compileUserPattern, type UserPattern } from '../shared/index.js'
import { badRequest, HttpError } from './http-errors.js'

export type Item = Record<string, unknown>
export type Query = Readonly<Record<string, string | undefined>>

const MAX_PAGE_SIZE = 500
const DEFAULT_PAGE_SIZE = 100
const DEFAULT_SORT = ['vhost', 'name']

export interface ListOptions {
  /** Whether the endpoint supports pagination (queues, exchanges, vhosts, connections, channels). */
  paginate?: boolean
}

/** Sorts, pages and trims a list the way RabbitMQ's list endpoints do. */
export function replyList(items: Item[], query: Query, opts: ListOptions = {}): unknown {
  return replyFormatted(items, (i) => i, query, opts)
}

/**
 * replyList for objects formatted on demand: when the sort key is the name (or the default vhost and
 * name), sorting, filtering and paging use the raw objects and only the page returned is formatted, so
 * a page of 100 out of 20,000 queues costs 100 formats.
 */
export function replyLazyList<T extends { readonly name: string; readonly vhost: string }>(
  source: readonly T[],
  format: (t: T) => Item,
  query: Query,
  opts: ListOptions = {},
): unknown {
  const sort = query['sort']
  if (sort !== undefined && sort !== '' && sort !== 'name' && sort !== 'vhost') {
    return replyList(source.map(format), query, opts)
  }
  return replyFormatted(source as unknown as Item[], (t) => format(t as unknown as T), query, opts)
}

function replyFormatted(items: Item[], format: (i: Item) => Item, query: Query, opts: ListOptions): unknown {
  const sorted = sortItems(items, query['sort'], query['sort_reverse'] === 'true')
  const columns = parseColumns(query['columns'])
  if (!opts.paginate || query['page'] === undefined) return sorted.map((i) => pick(format(i), columns))
  const { page, pageSize } = pagination(query)
  const filtered = filterByName(sorted, query['name'], query['use_regex'] === 'true')
  const pageCount = Math.ceil(filtered.length / pageSize)
  if ((page - 1) * pageSize > filtered.length) {
    throw new HttpError(
      400,
      'page_out_of_range',
      `Page out of range, page: ${page} page size: ${pageSize}, len: ${filtered.length}`,
    )
  }
  const slice = filtered.slice((page - 1) * pageSize, page * pageSize).map((i) => pick(format(i), columns))
  return {
    filtered_count: filtered.length,
    item_count: slice.length,
    items: slice,
    page,
    page_count: pageCount,
    page_size: pageSize,
    total_count: items.length,
  }
}

/** Applies `columns` to a single object. */
export function replyItem(item: Item, query: Query): Item {
  return pick(item, parseColumns(query['columns']))
}

function pagination(query: Query): { page: number; pageSize: number } {
  const rawPage = query['page'] as string
  const rawSize = query['page_size']
  const invalid = (): HttpError => badRequest('Pagination parameters are invalid')
  if (!/^-?\d+$/.test(rawPage) || (rawSize !== undefined && !/^-?\d+$/.test(rawSize))) throw invalid()
  const page = Number(rawPage)
  const pageSize = rawSize === undefined ? DEFAULT_PAGE_SIZE : Number(rawSize)
  if (page < 1 || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new HttpError(
      400,
      'invalid_pagination_parameters',
      `Invalid pagination parameters: page number ${page}, page size ${rawSize ?? 'undefined'}`,
    )
  }
  return { page, pageSize }
}

function filterByName(items: Item[], name: string | undefined, useRegex: boolean): Item[] {
  if (name === undefined || name === '') return items
  let test: (s: string) => boolean
  if (useRegex) {
    let re: UserPattern
    try {
      re = compileUserPattern(name, { caseless: true })
    } catch {
      throw badRequest('Pagination parameters are invalid')
    }
    test = (s) => re.test(s)
  } else {
    const needle = name.toLowerCase()
    test = (s) => s.toLowerCase().includes(needle)
  }
  return items.filter((i) => typeof i['name'] === 'string' && test(i['name']))
}

function sortItems(items: Item[], sort: string | undefined, reverse: boolean): Item[] {
  const keys = sort === undefined || sort === '' ? DEFAULT_SORT : [sort]
  const paths = keys.map((k) => k.split('.'))
  const sorted = [...items].sort((a, b) => {
    for (const p of paths) {
      const c = compare(getPath(a, p), getPath(b, p))
      if (c !== 0) return c
    }
    return 0
  })
  return reverse ? sorted.reverse() : sorted
}

/** Numbers before strings, strings by code point (Erlang compares binaries bytewise), missing first. */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === undefined || a === null) return -1
  if (b === undefined || b === null) return 1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'number') return -1
  if (typeof b === 'number') return 1
  const sa = typeof a === 'string' ? a : JSON.stringify(a)
  const sb = typeof b === 'string' ? b : JSON.stringify(b)
  return sa < sb ? -1 : sa > sb ? 1 : 0
}

function getPath(item: unknown, path: readonly string[]): unknown {
  let v = item
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined
    v = (v as Item)[k]
  }
  return v
}

function parseColumns(columns: string | undefined): string[][] | undefined {
  if (columns === undefined || columns === '') return undefined
  return columns
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '')
    .map((c) => c.split('.'))
}

/** Columns as RabbitMQ applies them: a dotted path keeps its parents even when the leaf is missing. */
function pick(item: Item, columns: string[][] | undefined): Item {
  if (!columns) return item
  const out: Item = {}
  for (const path of columns) {
    let src: unknown = item
    let target = out
    path.forEach((k, i) => {
      if (typeof src !== 'object' || src === null) return
      const v = (src as Item)[k]
      src = v
      if (v === undefined) return
      if (i === path.length - 1) target[k] = v
      else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const next = target[k]
        target = (typeof next === 'object' && next !== null ? next : (target[k] = {})) as Item
      } else src = undefined
    })
  }
  return out
}
