// Argument parsers the perf commands share (commander's argParser).
import { InvalidArgumentError } from 'commander'

/** An integer of at least `min`. */
export const int =
  (min: number) =>
  (v: string): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`)
    return n
  }

/** A positive number of seconds, with or without a trailing `s`. */
export const seconds = (v: string): number => {
  const n = Number(v.replace(/s$/, ''))
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number of seconds')
  return n
}
