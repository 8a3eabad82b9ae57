// fast-check arbitraries for wire values. Field values are generated in their canonical decoded form (the
// form the Reader returns), so that decode(encode(v)) deep-equals v and encode(decode(bytes)) equals bytes.
import fc from 'fast-check'
import { Decimal, type FieldTable, type FieldValue, Timestamp, TypedValue } from '../../src/shared/index.js'
import type { Method } from '../../src/protocol/index.js'
import { type SpecMethod, specMethods, type WireType } from './helpers.js'

/** Any valid UTF-8 string of at most 255 bytes (graphemes, so no lone surrogates). */
export const shortstrArb: fc.Arbitrary<string> = fc
  .string({ unit: 'grapheme', maxLength: 40 })
  .filter((s) => Buffer.byteLength(s) <= 255)

export const longstrTextArb: fc.Arbitrary<string> = fc.string({ unit: 'grapheme', maxLength: 100 })

export const bytesArb: fc.Arbitrary<Buffer> = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a))

const int64Arb: fc.Arbitrary<number | bigint> = fc
  .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
  .map((v) => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v))

/** A double as the Reader returns it: integral doubles keep their 'd' letter, others are plain numbers. */
const doubleArb: fc.Arbitrary<FieldValue> = fc
  .double({ noNaN: true })
  .map((v) => (Number.isInteger(v) ? new TypedValue('d', v) : v))

/** One arbitrary per non-container type letter of RabbitMQ's errata table. */
export const scalarArbs: Readonly<Record<string, fc.Arbitrary<FieldValue>>> = {
  t: fc.boolean(),
  b: fc.integer({ min: -128, max: 127 }).map((v) => new TypedValue('b', v)),
  B: fc.integer({ min: 0, max: 255 }).map((v) => new TypedValue('B', v)),
  s: fc.integer({ min: -32768, max: 32767 }).map((v) => new TypedValue('s', v)),
  u: fc.integer({ min: 0, max: 65535 }).map((v) => new TypedValue('u', v)),
  I: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  i: fc.integer({ min: 0, max: 0xffffffff }).map((v) => new TypedValue('i', v)),
  l: int64Arb.map((v) => new TypedValue('l', v)),
  f: fc.float({ noNaN: true }).map((v) => new TypedValue('f', v)),
  d: doubleArb,
  D: fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: -0x80000000, max: 0x7fffffff }))
    .map(([s, v]) => new Decimal(s, v)),
  S: longstrTextArb,
  T: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map((v) => new Timestamp(v)),
  V: fc.constant(null),
  x: bytesArb,
}

const keyArb = fc.oneof(
  { weight: 8, arbitrary: shortstrArb },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'x-message-ttl', '') },
)

/** Builds a table from entries; Object.fromEntries defines '__proto__' as an own key, as the Reader does. */
export function tableOf(entries: readonly (readonly [string, FieldValue])[]): FieldTable {
  return Object.fromEntries(entries) as FieldTable
}

export const { table: tableArb, value: fieldValueArb } = fc.letrec<{
  table: FieldTable
  value: FieldValue
  array: FieldValue[]
}>((tie) => ({
  table: fc
    .uniqueArray(fc.tuple(keyArb, tie('value')), { maxLength: 6, selector: (e) => e[0] })
    .map((entries) => tableOf(entries)),
  array: fc.array(tie('value'), { maxLength: 5 }),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    ...Object.values(scalarArbs),
    tie('table'),
    tie('array'),
  ),
}))

/** A value of the given wire type, as the generated decoder returns it (longstr as Buffer). */
export function wireArb(t: WireType): fc.Arbitrary<unknown> {
  switch (t) {
    case 'bit':
      return fc.boolean()
    case 'octet':
      return fc.integer({ min: 0, max: 255 })
    case 'short':
      return fc.integer({ min: 0, max: 65535 })
    case 'long':
      return fc.integer({ min: 0, max: 0xffffffff })
    case 'longlong':
    case 'timestamp':
      return fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.maxSafeNat())
    case 'shortstr':
      return shortstrArb
    case 'longstr':
      return fc.oneof(bytesArb, longstrTextArb)
    case 'table':
      return tableArb
  }
}

/** A value of the given type that is not the type's zero (so that a dropped field cannot go unnoticed). */
export function nonDefaultArb(t: WireType): fc.Arbitrary<unknown> {
  switch (t) {
    case 'bit':
      return fc.constant(true)
    case 'octet':
    case 'short':
    case 'long':
    case 'longlong':
    case 'timestamp':
      return wireArb(t).filter((v) => v !== 0)
    case 'shortstr':
      return shortstrArb.filter((s) => s.length > 0)
    case 'longstr':
      return fc.oneof(bytesArb, longstrTextArb).filter((s) => s.length > 0)
    case 'table':
      return tableArb.filter((x) => Object.keys(x).length > 0)
  }
}

/** A method with fields drawn from valueArb, per the spec's description of its fields. */
export function methodArb(
  sm: SpecMethod,
  valueArb: typeof wireArb = wireArb,
): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {}
  for (const f of sm.fields) if (!f.reserved) fields[f.name] = valueArb(f.type)
  return fc.record(fields).map((r) => ({ name: sm.name, ...r }))
}

/** Any method of the spec, with random field values. */
export const anyMethodArb: fc.Arbitrary<Method> = fc.oneof(
  ...specMethods().map((sm) => methodArb(sm) as unknown as fc.Arbitrary<Method>),
)
