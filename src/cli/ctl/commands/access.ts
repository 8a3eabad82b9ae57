// list_user_permissions and authenticate_user: what one user may do, and whether a password logs in.
// Messages and exit codes are rabbitmqctl 3.10's, so scripts written for it keep their checks.
import type { CtlCommand } from '../context.js'
import { brokerError, CtlError, EXIT } from '../errors.js'
import { seg } from '../http.js'

const PERMISSION_COLUMNS = ['vhost', 'configure', 'write', 'read'].map((name) => ({
  name,
  kind: 'plain' as const,
}))

export const accessCommands: readonly CtlCommand[] = [
  {
    name: 'list_user_permissions',
    summary: 'lists permissions of a user across all virtual hosts',
    args: ['<username>'],
    run: async (c, [user = '']) => {
      c.out.info(`Listing permissions for user "${user}" ...`)
      const path = `/api/users/${seg(user)}/permissions`
      const r = await c.api.call('GET', path)
      if (r.status === 404) throw brokerError(`{:no_such_user, "${user}"}`, EXIT.unavailable)
      if (r.status !== 200 || !Array.isArray(r.json)) throw c.api.unexpected('GET', path, r)
      const rows = (r.json as Array<Record<string, unknown>>).map((p) =>
        PERMISSION_COLUMNS.map((col) => p[col.name]),
      )
      c.out.rows(PERMISSION_COLUMNS, rows, 'blank')
    },
  },
  {
    name: 'authenticate_user',
    summary: "checks a user's password (exit 0 when it logs in, 65 when it does not)",
    args: ['<username>', '[password]'],
    run: async (c, [user = '', password]) => {
      c.out.info(`Authenticating user "${user}" ...`)
      if (password === undefined)
        throw new CtlError('Error:\nPassword is not provided via argument or stdin', EXIT.software)
      if (!(await c.api.credentialsValid(user, password))) {
        throw new CtlError(
          `Error:\nError: failed to authenticate user "${user}"\nuser '${user}' - invalid credentials`,
          EXIT.dataErr,
        )
      }
      if (c.out.mode.json) return c.out.json({ message: 'Success', node: await c.nodeName(), result: 'ok' })
      c.out.result('Success')
    },
  },
]
