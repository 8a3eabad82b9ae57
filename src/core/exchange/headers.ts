// Headers exchange: matches on message headers against binding arguments. x-match is all (default),
// any, all-with-x or any-with-x; the -with-x variants also compare x- prefixed keys. A binding value of
// void (null) asks only that the header be present, as in RabbitMQ.
import {
  describeType,
  type FieldTable,
  type FieldValue,
  fieldEquals,
  PreconditionFailedError,
} from '../../shared/index.js'
import type { Message } from '../message.js'
import { type Binding, Exchange, removeFrom, type RouteSink } from './exchange.js'

export type MatchKind = 'all' | 'any' | 'all-with-x' | 'any-with-x'
const MATCH_KINDS: readonly string[] = ['all', 'any', 'all-with-x', 'any-with-x']

export function validateHeadersBindingArgs(args: FieldTable): void {
  const m = args['x-match']
  if (m === undefined) return
  if (typeof m !== 'string') {
    throw new PreconditionFailedError(
      `Invalid x-match field type ${describeType(m)} (value ${erlangTerm(m)}); expected longstr`,
    )
  }
  if (!MATCH_KINDS.includes(m)) {
    throw new PreconditionFailedError(
      `Invalid x-match field value ${erlangTerm(m)}; expected all, any, all-with-x, or any-with-x`,
    )
  }
}

export function headersMatch(args: FieldTable, headers: FieldTable | undefined): boolean {
  const kind = (typeof args['x-match'] === 'string' ? args['x-match'] : 'all') as MatchKind
  const withX = kind === 'all-with-x' || kind === 'any-with-x'
  const all = kind === 'all' || kind === 'all-with-x'
  for (const key of Object.keys(args)) {
    if (key === 'x-match' || (!withX && key.startsWith('x-'))) continue
    const ok = valueMatches(args[key] as FieldValue, headers, key)
    if (all && !ok) return false
    if (!all && ok) return true
  }
  // all: every considered key matched (vacuously true with none); any: none did.
  return all
}

function valueMatches(want: FieldValue, headers: FieldTable | undefined, key: string): boolean {
  if (!headers || !Object.hasOwn(headers, key)) return false
  return want === null || headerValueEquals(want, headers[key] as FieldValue)
}

export class HeadersExchange extends Exchange {
  readonly type: string = 'headers'

  /** Its own list: the base class hands out copies, and this runs per publish. */
  private readonly all: Binding[] = []

  route(msg: Message, _routingKey: string, sink: RouteSink): void {
    const headers = msg.properties.headers
    const bs = this.all
    for (let i = 0; i < bs.length; i++) {
      const b = bs[i] as Binding
      if (headersMatch(b.args, headers)) sink.add(b.destination)
    }
  }

  protected indexAdd(b: Binding): void {
    this.all.push(b)
  }

  protected indexRemove(b: Binding): void {
    removeFrom(this.all, b)
  }
}

/** How RabbitMQ's messages print a value (Erlang ~p): binaries as <<"text">>. */
function erlangTerm(v: FieldValue | undefined): string {
  return typeof v === 'string' ? `<<"${v}">>` : String(v)
}

/**
 * RabbitMQ compares header values by type class: integers and floats by number, and a longstr and a
 * byte array by their octets.
 */
function headerValueEquals(want: FieldValue, got: FieldValue): boolean {
  const bytes = (v: FieldValue): Buffer | undefined =>
    typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : undefined
  const a = bytes(want)
  const b = bytes(got)
  if (a && b) return a.equals(b)
  return fieldEquals(want, got)
}
