// list_permissions, set_permissions, clear_permissions for the -p vhost.
import type { Ctx, CtlCommand } from '../context.js'
import { brokerError, CtlError, EXIT } from '../errors.js'
import { reasonOf, seg } from '../http.js'
import { listing } from '../listing.js'
import { userExists } from './users.js'

const permissionPath = (vhost: string, user: string): string => `/api/permissions/${seg(vhost)}/${seg(user)}`

/**
 * rabbitmqctl's message for whichever of the two is missing (the vhost is checked first). A missing vhost
 * exits 65 as for every other command (rabbitmqctl 3.10 exits 69 here; see docs/compatibility.md).
 */
async function missingVhostOrUser(c: Ctx, user: string): Promise<CtlError | undefined> {
  if (!(await c.vhostExists(c.vhost)))
    return brokerError(`Virtual host ${c.vhost} does not exist`, EXIT.dataErr)
  if (!(await userExists(c, user))) return brokerError(`User ${user} does not exist`, EXIT.noUser)
  return undefined
}

export const permissionCommands: readonly CtlCommand[] = [
  listing({
    name: 'list_permissions',
    summary: 'lists user permissions in a virtual host',
    banner: (c) => [`Listing permissions for vhost "${c.vhost}" ...`],
    path: (c) => `/api/vhosts/${seg(c.vhost)}/permissions`,
    columns: { user: {}, configure: {}, write: {}, read: {} },
    defaults: ['user', 'configure', 'write', 'read'],
    selectable: false,
    whenEmpty: 'blank',
  }),
  {
    name: 'set_permissions',
    summary: 'sets user permissions for a vhost',
    args: ['<username>', '<conf>', '<write>', '<read>'],
    run: async (c, [user = '', configure, write, read]) => {
      c.out.info(`Setting permissions for user "${user}" in vhost "${c.vhost}" ...`)
      const path = permissionPath(c.vhost, user)
      const r = await c.api.call('PUT', path, { body: { configure, write, read } })
      if (r.status === 400 || r.status === 404)
        throw (await missingVhostOrUser(c, user)) ?? brokerError(reasonOf(r), EXIT.dataErr)
      if (r.status !== 201 && r.status !== 204) throw c.api.unexpected('PUT', path, r)
      await c.finish()
    },
  },
  {
    name: 'clear_permissions',
    summary: 'revokes user permissions for a vhost',
    args: ['<username>'],
    run: async (c, [user = '']) => {
      c.out.info(`Clearing permissions for user "${user}" in vhost "${c.vhost}" ...`)
      const path = permissionPath(c.vhost, user)
      const r = await c.api.call('DELETE', path)
      if (r.status === 404) {
        // No permissions to clear is not an error; a missing vhost or user is.
        const missing = await missingVhostOrUser(c, user)
        if (missing) throw missing
      } else if (r.status !== 204) throw c.api.unexpected('DELETE', path, r)
      await c.finish()
    },
  },
]

// ---- topic permissions ----

interface TopicPermission {
  readonly user?: string
  readonly vhost?: string
  readonly exchange: string
  readonly write: string
  readonly read: string
}

const topicPath = (vhost: string, user: string): string => `/api/topic-permissions/${seg(vhost)}/${seg(user)}`

/** The user's topic permissions in the -p vhost; [] when there are none. */
async function topicPermissions(c: Ctx, user: string): Promise<TopicPermission[]> {
  const r = await c.api.call('GET', `/api/users/${seg(user)}/topic-permissions`)
  if (r.status === 404) return []
  if (r.status !== 200 || !Array.isArray(r.json)) throw c.api.unexpected('GET', topicPath(c.vhost, user), r)
  return (r.json as TopicPermission[]).filter((p) => p.vhost === c.vhost)
}

async function putTopic(c: Ctx, user: string, p: TopicPermission): Promise<void> {
  const path = topicPath(c.vhost, user)
  const r = await c.api.call('PUT', path, { body: { exchange: p.exchange, write: p.write, read: p.read } })
  if (r.status === 400 || r.status === 404)
    throw (await missingVhostOrUser(c, user)) ?? brokerError(reasonOf(r), EXIT.dataErr)
  if (r.status !== 201 && r.status !== 204) throw c.api.unexpected('PUT', path, r)
}

const TOPIC_COLUMNS = ['user', 'exchange', 'write', 'read'].map((name) => ({ name, kind: 'plain' as const }))

export const topicPermissionCommands: readonly CtlCommand[] = [
  {
    name: 'set_topic_permissions',
    summary: "sets a user's topic permissions (write and read patterns) for a topic exchange in the -p vhost",
    args: ['<username>', '<exchange>', '<write>', '<read>'],
    run: async (c, [user = '', exchange = '', write = '', read = '']) => {
      c.out.info(`Setting topic permissions on "${exchange}" for user "${user}" in vhost "${c.vhost}" ...`)
      await putTopic(c, user, { exchange, write, read })
      await c.finish()
    },
  },
  {
    name: 'clear_topic_permissions',
    summary: "clears a user's topic permissions in the -p vhost (for one exchange, or all)",
    args: ['<username>', '[exchange]'],
    run: async (c, [user = '', exchange]) => {
      c.out.info(
        exchange === undefined
          ? `Clearing topic permissions for user "${user}" in vhost "${c.vhost}" ...`
          : `Clearing topic permissions on "${exchange}" for user "${user}" in vhost "${c.vhost}" ...`,
      )
      const missing = await missingVhostOrUser(c, user)
      if (missing) throw missing
      const current = await topicPermissions(c, user)
      if (current.length === 0) return c.finish()
      // The HTTP API clears a user's topic permissions in a vhost at once: the others are put back.
      const path = topicPath(c.vhost, user)
      const r = await c.api.call('DELETE', path)
      if (r.status !== 204 && r.status !== 404) throw c.api.unexpected('DELETE', path, r)
      if (exchange !== undefined)
        for (const p of current) if (p.exchange !== exchange) await putTopic(c, user, p)
      await c.finish()
    },
  },
  {
    name: 'list_topic_permissions',
    summary: 'lists topic permissions in the -p vhost',
    run: async (c) => {
      c.out.info(`Listing topic permissions for vhost "${c.vhost}" ...`)
      const path = `/api/vhosts/${seg(c.vhost)}/topic-permissions`
      const r = await c.api.call('GET', path)
      if (
        r.status === 404 ||
        (Array.isArray(r.json) && r.json.length === 0 && !(await c.vhostExists(c.vhost)))
      )
        throw new CtlError(`Virtual host '${c.vhost}' does not exist`, EXIT.dataErr)
      if (r.status !== 200 || !Array.isArray(r.json)) throw c.api.unexpected('GET', path, r)
      const rows = (r.json as Array<Record<string, unknown>>).map((p) =>
        TOPIC_COLUMNS.map((col) => p[col.name]),
      )
      c.out.rows(TOPIC_COLUMNS, rows, 'blank')
    },
  },
]
