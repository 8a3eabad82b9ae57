// Regular expressions written by users: permission patterns, policy patterns and the management API's
// use_regex name filters. They run on RE2 (the re2js port), whose matching time is linear in the input,
// never on JavaScript's backtracking engine: there a pattern such as ^C(a+)+Z$ takes ~28 s to fail on a
// 31-character name, and the whole broker waits. RE2 has no lookarounds or backreferences; patterns that
// use them are refused when saved (checkUserPattern) and match nothing if they arrive another way (an
// older definitions file). Every pattern is compiled here, once, with the same flags, whatever the caller.
import { RE2JS } from 're2js'

export interface UserPattern {
  readonly source: string
  /** Unanchored search, as RabbitMQ's re:run does: the pattern matches anywhere in `subject`. */
  test(subject: string): boolean
}

export interface UserPatternOptions {
  /** Case-insensitive (the management API's use_regex name filter). */
  readonly caseless?: boolean
}

/** Thrown by compileUserPattern; `message` says why the pattern was refused. */
export class UserPatternError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(message)
    this.name = 'UserPatternError'
  }
}

const NOTHING: (source: string) => UserPattern = (source) => ({ source, test: () => false })

// Bounded: listing filters come from query strings, so the set of sources is not ours to bound.
const MAX_CACHED = 1024
const cache = new Map<string, UserPattern | UserPatternError>()

/** The compiled pattern, from the cache when seen before; throws UserPatternError when RE2 refuses it. */
export function compileUserPattern(source: string, opts: UserPatternOptions = {}): UserPattern {
  const key = (opts.caseless === true ? 'i:' : '-:') + source
  let entry = cache.get(key)
  if (entry === undefined) {
    entry = compile(source, opts)
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string)
    cache.set(key, entry)
  }
  if (entry instanceof UserPatternError) throw entry
  return entry
}

/** Like compileUserPattern, but a pattern RE2 refuses matches nothing (for patterns already stored). */
export function userPattern(source: string, opts: UserPatternOptions = {}): UserPattern {
  try {
    return compileUserPattern(source, opts)
  } catch {
    return NOTHING(source)
  }
}

/** Why `source` is refused, or undefined when it compiles. */
export function checkUserPattern(source: string): string | undefined {
  try {
    compileUserPattern(source)
    return undefined
  } catch (err) {
    return (err as UserPatternError).message
  }
}

/** '.*', the usual full permission, matches every name (at offset 0): no need to run a match. */
const EVERYTHING = '.*'

function compile(source: string, opts: UserPatternOptions): UserPattern | UserPatternError {
  if (source === EVERYTHING) return { source, test: () => true }
  let re: RE2JS
  try {
    re = RE2JS.compile(source, opts.caseless === true ? RE2JS.CASE_INSENSITIVE : 0)
  } catch (err) {
    return new UserPatternError(source, describe(source, err))
  }
  return { source, test: (subject) => re.test(subject) }
}

const UNSUPPORTED = /\(\?<?[=!]|\\[1-9]/

function describe(source: string, err: unknown): string {
  const detail = err instanceof Error ? err.message : String(err)
  if (!UNSUPPORTED.test(source)) return detail
  return `${detail} (lookahead, lookbehind and backreferences are not supported: patterns are evaluated in linear time with RE2)`
}
