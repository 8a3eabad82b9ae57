// The management API a test file talks to: an in-process Warren (HTTP and AMQP on free ports), or, when
// WARREN_TEST_HTTP_URL and WARREN_TEST_URL are set, an external broker (the reference RabbitMQ), so the
// same expectations can be checked against both:
//   WARREN_TEST_HTTP_URL=http://127.0.0.1:15676 WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5676 \
//     node --test dist/test/management/
// Names are random so that runs against a shared broker do not collide.
import { randomBytes } from 'node:crypto'
import { after, before } from 'node:test'
import amqp from 'amqplib'
import { type RunningBroker, startBroker, type StartOptions } from '../../src/index.js'

const EXTERNAL_HTTP = process.env['WARREN_TEST_HTTP_URL']
const EXTERNAL_AMQP = process.env['WARREN_TEST_URL']

/** JSON as tests read it: assertions check the shape, so it is typed loosely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions read arbitrary JSON
export type AnyJson = any

export interface Reply {
  status: number
  /** The parsed JSON body, or undefined when empty. */
  json: AnyJson
  text: string
  headers: Headers
}

export interface RequestOptions {
  body?: unknown
  /** [user, password]; null sends no Authorization header. Default guest/guest. */
  user?: readonly [string, string] | null
  headers?: Record<string, string>
}

export interface Management {
  readonly external: boolean
  readonly httpUrl: string
  readonly amqpUrl: string
  /** The in-process broker; throws when the target is external. */
  readonly broker: RunningBroker
  api(method: string, path: string, opts?: RequestOptions): Promise<Reply>
  /** An AMQP connection closed after the file's tests (to `vhost` when given). */
  connect(vhost?: string, clientProperties?: Record<string, unknown>): Promise<amqp.ChannelModel>
  /**
   * Runs `fn` once the broker is up, in registration order; `undo` runs after the tests. (Node 20 starts
   * a top-level `before` hook as soon as it is registered, so several of them would run concurrently:
   * the helpers chain theirs through this one.)
   */
  setup(fn: () => Promise<void>, undo?: () => Promise<void>): void
}

export function useManagement(opts: StartOptions = {}): Management {
  const state: { broker?: RunningBroker } = {}
  const open = new Set<amqp.ChannelModel>()
  const setups: Array<() => Promise<void>> = []
  const undos: Array<() => Promise<void>> = []
  const external = EXTERNAL_HTTP !== undefined && EXTERNAL_AMQP !== undefined
  before(async () => {
    await new Promise((resolve) => setImmediate(resolve)) // let the test file register its setups first
    if (!external) {
      state.broker = await startBroker({
        amqpPort: 0,
        httpPort: 0,
        bind: '127.0.0.1',
        logLevel: 'silent',
        ...opts,
      })
    }
    for (const fn of setups) await fn()
  })
  after(async () => {
    await Promise.all([...open].map((c) => c.close().catch(() => {})))
    for (const undo of undos.reverse()) await undo().catch(() => {})
    await state.broker?.close()
  })
  const m: Management = {
    external,
    get httpUrl() {
      if (external) return (EXTERNAL_HTTP as string).replace(/\/?$/, '/')
      return m.broker.httpUrl
    },
    get amqpUrl() {
      if (external) return (EXTERNAL_AMQP as string).replace(/\/?$/, '/')
      return m.broker.amqpUrl
    },
    get broker() {
      if (!state.broker)
        throw new Error(external ? 'external target has no in-process broker' : 'broker not started yet')
      return state.broker
    },
    api: (method, path, o = {}) => request(m.httpUrl, method, path, o),
    async connect(vhost = '/', clientProperties = {}) {
      const conn = await amqp.connect(m.amqpUrl + encodeURIComponent(vhost), { clientProperties })
      conn.on('error', () => {})
      open.add(conn)
      conn.on('close', () => open.delete(conn))
      return conn
    },
    setup(fn, undo) {
      setups.push(fn)
      if (undo) undos.push(undo)
    },
  }
  return m
}

export async function request(
  base: string,
  method: string,
  path: string,
  o: RequestOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...o.headers }
  const user = o.user === undefined ? (['guest', 'guest'] as const) : o.user
  if (user) headers['authorization'] = 'Basic ' + Buffer.from(`${user[0]}:${user[1]}`).toString('base64')
  let body: string | undefined
  if (o.body !== undefined) {
    body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body)
    headers['content-type'] ??= 'application/json'
  }
  const init: RequestInit = { method, headers }
  if (body !== undefined) init.body = body
  const r = await fetch(new URL(path.replace(/^\//, ''), base), init)
  const text = await r.text()
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: r.status, json, text, headers: r.headers }
}

/** A name no other test (or earlier run against a shared broker) uses. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`
}

/** '/' and other vhost or object names as a URL path segment. */
export const seg = (name: string): string => encodeURIComponent(name)

/** Polls until `cond` holds (RabbitMQ refreshes statistics every 5 s; Warren at once). */
export async function eventually(cond: () => Promise<boolean> | boolean, ms = 12_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Creates a vhost (granting guest access, as the creator) and deletes it after the file's tests. */
export function scratchVhost(m: Management, prefix = 'mgmt-test'): { readonly name: string } {
  const name = unique(prefix)
  m.setup(
    async () => {
      const r = await m.api('PUT', `/api/vhosts/${seg(name)}`)
      if (r.status !== 201) throw new Error(`vhost ${name}: ${r.status} ${r.text}`)
    },
    async () => void (await m.api('DELETE', `/api/vhosts/${seg(name)}`)),
  )
  return { name }
}

/** Creates a user with `tags` and deletes it after the file's tests. */
export function scratchUser(
  m: Management,
  tags: string,
  prefix = 'mgmt-user',
): { readonly name: string; readonly password: string } {
  const name = unique(prefix)
  const password = randomBytes(6).toString('hex')
  m.setup(
    async () => {
      const r = await m.api('PUT', `/api/users/${seg(name)}`, { body: { password, tags } })
      if (r.status !== 201) throw new Error(`user ${name}: ${r.status} ${r.text}`)
    },
    async () => void (await m.api('DELETE', `/api/users/${seg(name)}`)),
  )
  return { name, password }
}

export { amqp }
