// set_vhost_limits, clear_vhost_limits, list_vhost_limits and their user_* twins, over the HTTP API's
// /api/vhost-limits and /api/user-limits (one limit per request). As rabbitmqctl: set_vhost_limits
// replaces the vhost's whole set, set_user_limits adds to the user's; the texts and exit codes are 3.10's.
import type { Ctx, CtlCommand } from '../context.js'
import { brokerError, CtlError, EXIT } from '../errors.js'
import { reasonOf, seg } from '../http.js'

type Limits = Record<string, unknown>
type Owner = 'vhost' | 'user'

const base = (owner: Owner): string => (owner === 'vhost' ? '/api/vhost-limits' : '/api/user-limits')

/** The limits of one vhost or user; undefined when it does not exist. */
async function limitsOf(c: Ctx, owner: Owner, name: string): Promise<Limits | undefined> {
  const path = `${base(owner)}/${seg(name)}`
  const r = await c.api.call('GET', path)
  if (r.status === 404) return undefined
  if (r.status !== 200 || !Array.isArray(r.json)) throw c.api.unexpected('GET', path, r)
  const first = (r.json as Array<{ value?: Limits }>)[0]
  return { ...(first?.value ?? {}) }
}

/** Every vhost's or user's limits, as [name, limits]. */
async function allLimits(c: Ctx, owner: Owner): Promise<Array<[string, Limits]>> {
  const items = (await c.api.get(base(owner))) as Array<Record<string, unknown>>
  return items.map((i) => [String(i[owner]), (i['value'] ?? {}) as Limits])
}

function parseLimits(json: string): Limits {
  try {
    const v: unknown = JSON.parse(json)
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Limits
  } catch {
    // reported below, as rabbitmqctl reports it
  }
  throw brokerError('JSON decoding error. Reason: badarg', EXIT.unavailable)
}

async function putLimit(c: Ctx, owner: Owner, name: string, limit: string, value: unknown): Promise<void> {
  const path = `${base(owner)}/${seg(name)}/${seg(limit)}`
  const r = await c.api.call('PUT', path, { body: { value } })
  if (r.status === 400) throw brokerError(reasonOf(r), EXIT.unavailable)
  if (r.status !== 201 && r.status !== 204) throw c.api.unexpected('PUT', path, r)
}

async function deleteLimit(c: Ctx, owner: Owner, name: string, limit: string): Promise<void> {
  const path = `${base(owner)}/${seg(name)}/${seg(limit)}`
  const r = await c.api.call('DELETE', path)
  if (r.status !== 204 && r.status !== 404) throw c.api.unexpected('DELETE', path, r)
}

const noSuchUserTerm = (user: string): CtlError => brokerError(`{:no_such_user, "${user}"}`, EXIT.unavailable)
const noSuchVhost = (vhost: string): CtlError =>
  new CtlError(`Virtual host '${vhost}' does not exist`, EXIT.dataErr)

/** One line per vhost or user for --global, or the JSON of one set. */
async function printAll(c: Ctx, owner: Owner): Promise<void> {
  const rows = (await allLimits(c, owner)).map(([name, l]) => [name, JSON.stringify(l)])
  c.out.rows(
    [
      { name: owner, kind: 'plain' },
      { name: 'limits', kind: 'plain' },
    ],
    rows,
    'blank',
  )
}

const vhostLimitCommands: readonly CtlCommand[] = [
  {
    name: 'set_vhost_limits',
    summary: 'sets the limits of the -p vhost, e.g. \'{"max-connections": 64, "max-queues": 256}\'',
    args: ['<definition>'],
    run: async (c, [json = '']) => {
      c.out.info(`Setting vhost limits to "${json}" for vhost "${c.vhost}" ...`)
      const wanted = parseLimits(json)
      const current = await limitsOf(c, 'vhost', c.vhost)
      if (!current) throw noSuchVhost(c.vhost)
      for (const [limit, value] of Object.entries(wanted)) await putLimit(c, 'vhost', c.vhost, limit, value)
      for (const limit of Object.keys(current))
        if (!(limit in wanted)) await deleteLimit(c, 'vhost', c.vhost, limit)
      await c.finish()
    },
  },
  {
    name: 'clear_vhost_limits',
    summary: 'clears the limits of the -p vhost',
    run: async (c) => {
      c.out.info(`Clearing vhost "${c.vhost}" limits ...`)
      const current = await limitsOf(c, 'vhost', c.vhost)
      if (!current) throw noSuchVhost(c.vhost)
      if (Object.keys(current).length === 0) throw brokerError('Parameter does not exist', EXIT.unavailable)
      for (const limit of Object.keys(current)) await deleteLimit(c, 'vhost', c.vhost, limit)
      await c.finish()
    },
  },
  {
    name: 'list_vhost_limits',
    summary: 'shows the limits of the -p vhost, or of every vhost with --global',
    options: [['--global', 'list the limits of every vhost']],
    run: async (c, _args, opts) => {
      if (opts['global'] === true) {
        c.out.info('Listing limits for all vhosts ...')
        return printAll(c, 'vhost')
      }
      c.out.info(`Listing limits for vhost "${c.vhost}" ...`)
      const current = await limitsOf(c, 'vhost', c.vhost)
      if (!current) throw noSuchVhost(c.vhost)
      const empty = Object.keys(current).length === 0
      if (c.out.mode.json) {
        if (empty) return c.out.raw('[]\n')
        return c.out.json({ node: await c.nodeName(), result: 'ok', value: JSON.stringify(current) })
      }
      c.out.result(empty ? '' : JSON.stringify(current))
    },
  },
]

const userLimitCommands: readonly CtlCommand[] = [
  {
    name: 'set_user_limits',
    summary: 'sets limits of a user, e.g. \'{"max-connections": 10, "max-channels": 20}\'',
    args: ['<username>', '<definition>'],
    run: async (c, [user = '', json = '']) => {
      c.out.info(`Setting user limits to "${json}" for user "${user}" ...`)
      const wanted = parseLimits(json)
      if (!(await limitsOf(c, 'user', user))) throw noSuchUserTerm(user)
      for (const [limit, value] of Object.entries(wanted)) await putLimit(c, 'user', user, limit, value)
      await c.finish()
    },
  },
  {
    name: 'clear_user_limits',
    summary: "clears one limit of a user, or all of them ('all')",
    args: ['<username>', '<limit>'],
    run: async (c, [user = '', limit = '']) => {
      const all = limit === 'all'
      c.out.info(
        all
          ? `Clearing all limits for user "${user}" ...`
          : `Clearing "${limit}" limit for user "${user}" ...`,
      )
      const current = await limitsOf(c, 'user', user)
      if (!current) throw noSuchUserTerm(user)
      for (const name of all ? Object.keys(current) : [limit]) await deleteLimit(c, 'user', user, name)
      await c.finish()
    },
  },
  {
    name: 'list_user_limits',
    summary: 'shows the limits of a user (--user, default guest), or of every user with --global',
    options: [
      ['--user <username>', 'the user whose limits to show (default guest)'],
      ['--global', 'list the limits of every user'],
    ],
    run: async (c, _args, opts) => {
      if (opts['global'] === true) {
        c.out.info('Listing limits for all users ...')
        return printAll(c, 'user')
      }
      const user = typeof opts['user'] === 'string' ? opts['user'] : 'guest'
      c.out.info(`Listing limits for user "${user}" ...`)
      const current = await limitsOf(c, 'user', user)
      if (!current) throw noSuchUserTerm(user)
      if (c.out.mode.json) return c.out.json({ message: JSON.stringify(current) })
      c.out.result(JSON.stringify(current))
    },
  },
]

export const limitCommands: readonly CtlCommand[] = [...vhostLimitCommands, ...userLimitCommands]
