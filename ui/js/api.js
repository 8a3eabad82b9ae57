// The console's only way to the broker: the management HTTP API, with basic authentication from the
// credentials the login form stored in sessionStorage (they last as long as the browser tab).
// Paths are relative ('api/...'), so the console also works behind a reverse proxy's path prefix.

const CREDENTIALS = 'warren.credentials'

export class ApiError extends Error {
  constructor(status, error, reason) {
    super(describe(status, error, reason))
    this.status = status
    this.error = error
    this.reason = reason
  }

  /** A login that no longer works (bad password, deleted user), as opposed to a refused operation. */
  get loginFailed() {
    return this.status === 401 && (this.error === '' || this.reason === 'Login failed')
  }
}

function describe(status, error, reason) {
  if (status === 0) return `Could not reach the broker: ${reason}`
  if (status === 401 && error === '') return '401 Unauthorized: log in first'
  const text = typeof reason === 'string' ? reason : JSON.stringify(reason)
  return error ? `${status} ${error}: ${text}` : `${status}: ${text}`
}

export const session = {
  /** { user, token, tags } or undefined. */
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(CREDENTIALS) ?? 'null') ?? undefined
    } catch {
      return undefined
    }
  },
  save(user, password, tags) {
    sessionStorage.setItem(CREDENTIALS, JSON.stringify({ user, token: basic(user, password), tags }))
  },
  clear() {
    sessionStorage.removeItem(CREDENTIALS)
  },
}

/** `Basic base64(user:password)`, UTF-8 encoded as RabbitMQ reads it (btoa alone takes Latin-1 only). */
export function basic(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`)
  return 'Basic ' + btoa(String.fromCharCode(...bytes))
}

/** Called when the stored login stops working; main.js returns to the login form. */
let onLoginFailed = () => {}
export const setLoginFailedHandler = (fn) => (onLoginFailed = fn)

/**
 * One API call: the parsed JSON body (undefined for 201/204), or an ApiError carrying the API's
 * {error, reason}. `token` overrides the stored credentials (the login form checks new ones).
 */
export async function api(method, path, body, { token, headers = {} } = {}) {
  const auth = token ?? session.get()?.token
  const init = {
    method,
    // 'omit' keeps the browser from answering the API's WWW-Authenticate with its own login dialog.
    credentials: 'omit',
    headers: { ...headers, ...(auth ? { authorization: auth } : {}) },
  }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    init.headers['content-type'] = 'application/json'
  }
  let res
  try {
    res = await fetch(path.replace(/^\//, ''), init)
  } catch (err) {
    throw new ApiError(0, 'network_error', err instanceof Error ? err.message : String(err))
  }
  const text = await res.text()
  let json
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  if (res.ok) return json
  const e = new ApiError(res.status, json?.error ?? (text === '' ? '' : res.statusText), json?.reason ?? text)
  if (e.loginFailed && token === undefined) onLoginFailed(e)
  throw e
}

/** Tagged template for API paths: every interpolated value is one encoded path segment. */
export function path(strings, ...values) {
  return strings.reduce(
    (out, str, i) => out + str + (i < values.length ? encodeURIComponent(values[i]) : ''),
    '',
  )
}

/** A list endpoint's items whether or not it paginated. */
export const itemsOf = (reply) => (Array.isArray(reply) ? reply : (reply?.items ?? []))
