// Field values as Warren holds them. Natural JavaScript values cover the common type letters; the
// letters that a plain value cannot express (int8, uint32, a float that is integral, ...) decode to a
// TypedValue so that re-encoding writes the very letter the client sent. RabbitMQ's errata letters:
// t b B s u I i l f d D S T F A V x.

export const FIELD_TYPES = {
  boolean: 't',
  int8: 'b',
  uint8: 'B',
  int16: 's',
  uint16: 'u',
  int32: 'I',
  uint32: 'i',
  int64: 'l',
  float: 'f',
  double: 'd',
  decimal: 'D',
  longstr: 'S',
  timestamp: 'T',
  table: 'F',
  array: 'A',
  void: 'V',
  bytes: 'x',
} as const

export type FieldTypeLetter = (typeof FIELD_TYPES)[keyof typeof FIELD_TYPES]

/** A number whose wire type must be kept (it is not the one a plain number would be encoded as). */
export class TypedValue {
  constructor(
    readonly type: 'b' | 'B' | 's' | 'u' | 'i' | 'l' | 'f' | 'd',
    readonly value: number | bigint,
  ) {}
}

/** AMQP decimal: value / 10^scale. */
export class Decimal {
  constructor(
    readonly scale: number,
    readonly value: number,
  ) {}
}

/** A 'T' timestamp: seconds since the epoch (kept as seconds so that it round-trips exactly). */
export class Timestamp {
  constructor(readonly seconds: number) {}
  toDate(): Date {
    return new Date(this.seconds * 1000)
  }
}

export type FieldValue =
  | string
  | boolean
  | number
  | bigint
  | null
  | Buffer
  | TypedValue
  | Decimal
  | Timestamp
  | FieldTable
  | FieldValue[]

export interface FieldTable {
  [key: string]: FieldValue
}

/** The numeric value of a field, whatever its wire type; undefined when it is not a number. */
export function fieldNumber(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (v instanceof TypedValue) return Number(v.value)
  return undefined
}

/** Structural equality of field values, used for argument equivalence and headers matching. */
export function fieldEquals(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined || a === null || b === null) return false
  const na = fieldNumber(a)
  const nb = fieldNumber(b)
  if (na !== undefined || nb !== undefined) return na === nb
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b)
  }
  if (a instanceof Timestamp || b instanceof Timestamp) {
    return a instanceof Timestamp && b instanceof Timestamp && a.seconds === b.seconds
  }
  if (a instanceof Decimal || b instanceof Decimal) {
    return a instanceof Decimal && b instanceof Decimal && a.scale === b.scale && a.value === b.value
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => fieldEquals(v, b[i]))
    )
  }
  if (typeof a === 'object' && typeof b === 'object') return tableEquals(a as FieldTable, b as FieldTable)
  return false
}

export function tableEquals(a: FieldTable, b: FieldTable): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => Object.hasOwn(b, k) && fieldEquals(a[k], b[k]))
}

/** RabbitMQ's names for field types, as its error messages print them. */
export function describeType(v: FieldValue): string {
  if (typeof v === 'string') return 'longstr'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? 'signedint' : 'double'
  if (typeof v === 'bigint') return 'long'
  if (v === null) return 'void'
  if (Buffer.isBuffer(v)) return 'binary'
  if (v instanceof TypedValue) {
    const names = {
      b: 'byte',
      B: 'unsignedbyte',
      s: 'short',
      u: 'unsignedshort',
      i: 'unsignedint',
      l: 'long',
      f: 'float',
      d: 'double',
    }
    return names[v.type]
  }
  if (Array.isArray(v)) return 'array'
  return 'table'
}
