// list_permissions, set_permissions, clear_permissions for the -p vhost.
import type { Ctx, CtlCommand } from '../context.js'
import { brokerError, type CtlError, EXIT } from '../errors.js'
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
