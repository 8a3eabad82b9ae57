// HTTP errors with RabbitMQ's bodies: {"error": ..., "reason": ...}. RabbitMQ 3.10 answers every
// authorisation failure with 401 (never 403), and a missing object with "Object Not Found". Domain
// errors from the core are mapped here, once.
import { BrokerError } from '../shared/index.js'

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof reason === 'string' ? reason : JSON.stringify(reason))
  }

  get body(): { error: string; reason: unknown } {
    return { error: this.error, reason: this.reason }
  }
}

export const REALM_HEADER = { 'www-authenticate': 'Basic realm="RabbitMQ Management"' } as const

export const notFound = (): HttpError => new HttpError(404, 'Object Not Found', 'Not Found')
export const badRequest = (reason: unknown): HttpError => new HttpError(400, 'bad_request', reason)
export const notAuthorised = (reason: string): HttpError => new HttpError(401, 'not_authorised', reason)
export const accessRefused = (): HttpError => notAuthorised('Access refused.')
/** RabbitMQ prints a missing JSON key as the Erlang term it fails to match. */
export const keyMissing = (key: string): HttpError => badRequest(`[{key_missing,${key}}]`)

/** Maps a core domain error thrown by a declare, delete or bind to RabbitMQ's HTTP answer. */
export function fromBrokerError(err: BrokerError): HttpError {
  if (err.replyCode === 403) return accessRefused()
  if (err.replyCode === 404) return new HttpError(404, 'not_found', err.message)
  return badRequest(err.message)
}

/** Runs `fn`, turning domain errors into HTTP errors. */
export function orHttp<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw err instanceof BrokerError ? fromBrokerError(err) : err
  }
}
