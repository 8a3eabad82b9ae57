// The HTTP side of `warren ctl`: where the API is (flags, WARREN_HTTP_URL, defaults), basic auth, a
// timeout per request, and the translation of transport failures and 401s into messages that say what
// to check. Uses Node's built-in fetch; the CLI never reads the broker's data directory.
import { CtlError, EXIT } from './errors.js'

export const DEFAULT_URL = 'http://localhost:15672'

export interface TargetOptions {
  url?: string | undefined
  host?: string | undefined
  port?: string | undefined
  username?: string | undefined
  password?: string | undefined
  /** Seconds. */
  timeout?: number | undefined
}

export interface Target {
  /** The API's base URL, without credentials, ending in '/'. */
  readonly base: URL
  readonly username: string
  readonly password: string
  readonly timeoutMs: number
}

/** Flags win over the URL's user info, which wins over guest/guest; --host/--port edit the URL. */
export function resolveTarget(o: TargetOptions, env: Readonly<Record<string, string | undefined>>): Target {
  const raw = o.url ?? (env['WARREN_HTTP_URL'] || DEFAULT_URL)
  let base: URL
  try {
    base = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`)
  } catch {
    throw new CtlError(`Error: invalid HTTP API URL '${raw}'`, EXIT.usage)
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new CtlError(`Error: invalid HTTP API URL '${raw}': only http and https are supported`, EXIT.usage)
  }
  if (o.host !== undefined) base.hostname = o.host
  if (o.port !== undefined) base.port = o.port
  const username = o.username ?? (base.username !== '' ? decodeURIComponent(base.username) : 'guest')
  const password = o.password ?? (base.password !== '' ? decodeURIComponent(base.password) : 'guest')
  base.username = ''
  base.password = ''
  base.search = ''
  base.hash = ''
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  return { base, username, password, timeoutMs: (o.timeout ?? 60) * 1000 }
}

export interface ApiReply {
  readonly status: number
  readonly text: string
  /** The parsed body; undefined when empty or not JSON. */
  readonly json: unknown
}

export interface CallOptions {
  body?: unknown
  headers?: Record<string, string>
}

/** A vhost, user, queue or connection name as one URL path segment ('/' becomes %2F). */
export const seg = (name: string): string => encodeURIComponent(name)

export class HttpApi {
  private readonly auth: string

  constructor(readonly target: Target) {
    this.auth = 'Basic ' + Buffer.from(`${target.username}:${target.password}`, 'utf8').toString('base64')
  }

  /** The base URL as printed in messages: no credentials, no trailing slash. */
  get where(): string {
    return this.target.base.href.replace(/\/$/, '')
  }

  /** Any status comes back except 401, which is reported here since every command treats it alike. */
  async call(method: string, path: string, o: CallOptions = {}): Promise<ApiReply> {
    const headers: Record<string, string> = { authorization: this.auth, ...o.headers }
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.target.timeoutMs) }
    if (o.body !== undefined) {
      init.body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body)
      headers['content-type'] = 'application/json'
    }
    let text: string
    let status: number
    try {
      const res = await fetch(new URL(path.replace(/^\//, ''), this.target.base), init)
      status = res.status
      text = await res.text()
    } catch (err) {
      throw this.transportError(err)
    }
    const reply = { status, text, json: parseJson(text) }
    if (status === 401) throw this.unauthorised(reply)
    return reply
  }

  /**
   * Whether `username` and `password` log in (authenticate_user): /api/whoami answers 200 for a
   * management user and 401 "Not management user" for a user whose login worked but who has no tag;
   * only "Login failed" means the credentials are wrong.
   */
  async credentialsValid(username: string, password: string): Promise<boolean> {
    const as = new HttpApi({ ...this.target, username, password })
    try {
      await as.call('GET', '/api/whoami')
      return true
    } catch (err) {
      if (err instanceof CtlError && err.exitCode === EXIT.noPerm) return !/Login failed/.test(err.message)
      throw err
    }
  }

  /** GET that must answer 200; anything else is unexpected. */
  async get(path: string): Promise<unknown> {
    const r = await this.call('GET', path)
    if (r.status !== 200) throw this.unexpected('GET', path, r)
    return r.json
  }

  /** The error for an answer a command has no specific message for. */
  unexpected(method: string, path: string, r: ApiReply): CtlError {
    const code = r.status >= 500 ? EXIT.software : r.status === 404 ? EXIT.dataErr : EXIT.unavailable
    return new CtlError(`Error: ${method} ${path} answered ${r.status}: ${reasonOf(r)}`, code)
  }

  private transportError(err: unknown): CtlError {
    const e = err as Error
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      const secs = this.target.timeoutMs / 1000
      return new CtlError(
        `Error: the Warren HTTP API at ${this.where} did not answer within ${secs} seconds (see --timeout)`,
        EXIT.tempFail,
      )
    }
    // fetch reports every network failure as TypeError('fetch failed') with the socket error as cause.
    if (e.message !== 'fetch failed') {
      return new CtlError(
        `Error: request to the Warren HTTP API at ${this.where} failed: ${e.message}`,
        EXIT.software,
      )
    }
    const cause = describeCause(err)
    if (cause.startsWith('HPE_')) {
      return new CtlError(
        `Error: the server at ${this.where} does not answer in HTTP (${cause}). Is that the AMQP port? ` +
          `The HTTP API listens on 15672 by default.`,
        EXIT.unavailable,
      )
    }
    return new CtlError(
      `Error: unable to connect to the Warren HTTP API at ${this.where}: ${cause}. Is the broker running?`,
      EXIT.unavailable,
    )
  }

  private unauthorised(r: ApiReply): CtlError {
    const reason = reasonOf(r)
    const user = this.target.username
    if (reason === 'Login failed' || reason === '') {
      return new CtlError(
        `Error: the Warren HTTP API at ${this.where} rejected the credentials of user '${user}' ` +
          `(401 Unauthorized: Login failed). Check --username and --password.`,
        EXIT.noPerm,
      )
    }
    return new CtlError(
      `Error: the Warren HTTP API at ${this.where} refused this request for user '${user}' ` +
        `(401 Unauthorized: ${reason}). This command needs a user tagged administrator.`,
      EXIT.noPerm,
    )
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** RabbitMQ's error body is {"error": ..., "reason": ...}; the reason may be any JSON value. */
export function reasonOf(r: ApiReply): string {
  const body = r.json as { reason?: unknown; error?: unknown } | undefined
  const reason = body?.reason ?? body?.error
  if (reason === undefined) return r.text.trim()
  return typeof reason === 'string' ? unescapeHtml(reason) : erlangTerm(reason)
}

/** A reason given as a list, ["invalid_regexp", "(", "..."], as the Erlang tuple rabbitmqctl would print. */
function erlangTerm(v: unknown): string {
  if (!Array.isArray(v)) return JSON.stringify(v)
  const items = v.map((x, i) =>
    i === 0 && typeof x === 'string' && /^[a-z_]+$/.test(x)
      ? x
      : Array.isArray(x)
        ? erlangTerm(x)
        : JSON.stringify(x),
  )
  return `{${items.join(',')}}`
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', '#39': "'" }

/** RabbitMQ escapes its error reasons for HTML ("[{&lt;&lt;\"bogus\"&gt;&gt;,1}]"). */
const unescapeHtml = (s: string): string =>
  s.replace(/&(lt|gt|amp|quot|#39);/g, (_m, e: string) => ENTITIES[e] ?? _m)

const CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPROTO: 'protocol error (is it an HTTPS port?)',
  UND_ERR_SOCKET: 'the connection closed unexpectedly (is it an HTTP port?)',
}

/** fetch wraps the socket error in `cause`; with several addresses (IPv4 and IPv6) in an AggregateError. */
function describeCause(err: unknown): string {
  const codes: string[] = []
  const walk = (e: unknown, depth: number): void => {
    if (typeof e !== 'object' || e === null || depth > 4) return
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
    for (const inner of (e as { errors?: unknown[] }).errors ?? []) walk(inner, depth + 1)
    walk((e as { cause?: unknown }).cause, depth + 1)
  }
  walk(err, 0)
  for (const code of codes) if (CAUSES[code]) return CAUSES[code]
  const cause = (err as { cause?: { message?: string } }).cause
  return codes[0] ?? cause?.message ?? (err as Error).message
}
