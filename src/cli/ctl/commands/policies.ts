// list_policies, set_policy, clear_policy for the -p vhost, through /api/policies. A broker whose API
// has no PUT there (404 or 405 for a vhost that exists) is reported as not supporting policies.
import type { Ctx, CtlCommand } from '../context.js'
import { noSuchVhost } from '../context.js'
import { brokerError, CtlError, EXIT } from '../errors.js'
import { type ApiReply, reasonOf, seg } from '../http.js'
import { listing } from '../listing.js'

const policyPath = (vhost: string, name: string): string => `/api/policies/${seg(vhost)}/${seg(name)}`

function unsupported(c: Ctx, method: string, path: string, r: ApiReply): CtlError {
  return new CtlError(
    `Error: policies are not supported by the broker at ${c.api.where}: ${method} ${path} answered ${r.status}`,
    EXIT.unavailable,
  )
}

function parseDefinition(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw brokerError(`JSON decoding error. Reason: ${(err as Error).message}`, EXIT.unavailable)
  }
}

function parsePriority(v: unknown): number {
  const n = Number(v ?? 0)
  if (!Number.isInteger(n)) {
    throw new CtlError(
      `Error (argument validation): --priority must be an integer, got '${String(v)}'`,
      EXIT.usage,
    )
  }
  return n
}

export const policyCommands: readonly CtlCommand[] = [
  listing({
    name: 'list_policies',
    summary: 'lists all policies in a virtual host',
    banner: (c) => [`Listing policies for vhost "${c.vhost}" ...`],
    path: (c) => `/api/policies/${seg(c.vhost)}`,
    columns: {
      vhost: {},
      name: {},
      pattern: {},
      'apply-to': {},
      definition: { get: (i) => JSON.stringify(i['definition'] ?? {}) },
      priority: {},
    },
    defaults: ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'],
    selectable: false,
    whenEmpty: 'blank',
    checkVhost: true,
  }),
  {
    name: 'set_policy',
    summary: 'sets or updates a policy',
    args: ['<name>', '<pattern>', '<definition>'],
    options: [
      ['--priority <priority>', 'policy priority (default 0)'],
      ['--apply-to <apply-to>', 'queues, exchanges or all (default all)'],
    ],
    run: async (c, [name = '', pattern = '', definitionText = ''], opts) => {
      const priority = parsePriority(opts['priority'])
      c.out.info(
        `Setting policy "${name}" for pattern "${pattern}" to "${definitionText}" with priority ` +
          `"${priority}" for vhost "${c.vhost}" ...`,
      )
      const definition = parseDefinition(definitionText)
      const body = { pattern, definition, priority, 'apply-to': opts['applyTo'] ?? 'all' }
      const path = policyPath(c.vhost, name)
      const r = await c.api.call('PUT', path, { body })
      if (r.status === 201 || r.status === 204) return c.finish()
      if (r.status === 400) throw brokerError(reasonOf(r), EXIT.unavailable)
      if (r.status !== 404 && r.status !== 405) throw c.api.unexpected('PUT', path, r)
      await c.requireVhost(c.vhost)
      throw unsupported(c, 'PUT', path, r)
    },
  },
  {
    name: 'clear_policy',
    summary: 'clears (removes) a policy',
    args: ['<name>'],
    run: async (c, [name = '']) => {
      c.out.info(`Clearing policy "${name}" on vhost "${c.vhost}" ...`)
      const path = policyPath(c.vhost, name)
      const r = await c.api.call('DELETE', path)
      if (r.status === 404) {
        if (!(await c.vhostExists(c.vhost))) throw noSuchVhost(c.vhost)
        throw brokerError('Parameter does not exist', EXIT.unavailable)
      }
      if (r.status === 405) throw unsupported(c, 'DELETE', path, r)
      if (r.status !== 204) throw c.api.unexpected('DELETE', path, r)
      await c.finish()
    },
  },
]
