// list_users, add_user, delete_user, change_password, set_user_tags. The HTTP API's PUT /api/users/x
// creates or replaces a user, so the commands read the user first: add_user refuses an existing one
// (as rabbitmqctl does), change_password keeps the tags, set_user_tags keeps the password hash.
import { type Ctx, type CtlCommand, noSuchUser } from '../context.js'
import { brokerError, EXIT } from '../errors.js'
import { reasonOf, seg } from '../http.js'
import { type Item, listing } from '../listing.js'

const ADD_USER_DONE =
  "Done. Don't forget to grant the user permissions to some virtual hosts! " +
  "See 'warren ctl help set_permissions' to learn more."

interface UserItem {
  readonly name: string
  readonly password_hash?: string
  readonly hashing_algorithm?: string
  readonly tags?: readonly string[] | string
}

const userPath = (name: string): string => `/api/users/${seg(name)}`

/** The user, or undefined when there is none of that name. */
async function findUser(c: Ctx, name: string): Promise<UserItem | undefined> {
  const r = await c.api.call('GET', userPath(name))
  if (r.status === 404) return undefined
  if (r.status !== 200) throw c.api.unexpected('GET', userPath(name), r)
  return r.json as UserItem
}

export async function userExists(c: Ctx, name: string): Promise<boolean> {
  return (await findUser(c, name)) !== undefined
}

async function requireUser(c: Ctx, name: string): Promise<UserItem> {
  const u = await findUser(c, name)
  if (!u) throw noSuchUser(name)
  return u
}

/** RabbitMQ 3.9+ lists tags as an array; older versions as a comma-separated string. */
function tagsOf(u: UserItem): string[] {
  const t = u.tags ?? []
  return (typeof t === 'string' ? t.split(',') : [...t]).map((s) => s.trim()).filter((s) => s !== '')
}

async function putUser(c: Ctx, name: string, body: Record<string, unknown>): Promise<void> {
  const r = await c.api.call('PUT', userPath(name), { body })
  if (r.status === 201 || r.status === 204) return
  if (r.status === 400) throw brokerError(reasonOf(r), EXIT.dataErr)
  throw c.api.unexpected('PUT', userPath(name), r)
}

/** A blank password disables password logins, as rabbitmqctl documents: no hash at all. */
const passwordBody = (password: string): Record<string, unknown> =>
  password === '' ? { password_hash: '' } : { password }

export const userCommands: readonly CtlCommand[] = [
  listing({
    name: 'list_users',
    summary: 'lists user names and tags',
    banner: () => ['Listing users ...'],
    path: () => '/api/users',
    columns: { user: { get: (i: Item) => i['name'] }, tags: { kind: 'list' } },
    defaults: ['user', 'tags'],
    selectable: false,
    whenEmpty: 'nothing',
  }),
  {
    name: 'add_user',
    summary: 'creates a user (a blank password disables password logins)',
    args: ['<username>', '<password>'],
    run: async (c, [name = '', password = '']) => {
      c.out.info(`Adding user "${name}" ...`)
      if (await userExists(c, name)) throw brokerError(`User "${name}" already exists`, EXIT.software)
      await putUser(c, name, { ...passwordBody(password), tags: '' })
      c.out.info(ADD_USER_DONE)
      await c.finish({ message: ADD_USER_DONE, node: await c.nodeName(), status: 'ok' })
    },
  },
  {
    name: 'delete_user',
    summary: 'deletes a user',
    args: ['<username>'],
    run: async (c, [name = '']) => {
      c.out.info(`Deleting user "${name}" ...`)
      const r = await c.api.call('DELETE', userPath(name))
      if (r.status === 404) throw noSuchUser(name)
      if (r.status !== 204) throw c.api.unexpected('DELETE', userPath(name), r)
      await c.finish()
    },
  },
  {
    name: 'change_password',
    summary: "changes a user's password",
    args: ['<username>', '<password>'],
    run: async (c, [name = '', password = '']) => {
      c.out.info(`Changing password for user "${name}" ...`)
      const u = await requireUser(c, name)
      await putUser(c, name, { ...passwordBody(password), tags: tagsOf(u).join(',') })
      await c.finish()
    },
  },
  {
    name: 'set_user_tags',
    summary: "sets a user's tags (none clears them)",
    args: ['<username>', '[tags...]'],
    run: async (c, [name = '', ...tags]) => {
      c.out.info(`Setting tags for user "${name}" to [${tags.join(', ')}] ...`)
      const u = await requireUser(c, name)
      const body: Record<string, unknown> = { password_hash: u.password_hash ?? '', tags: tags.join(',') }
      if (u.hashing_algorithm !== undefined) body['hashing_algorithm'] = u.hashing_algorithm
      await putUser(c, name, body)
      await c.finish()
    },
  },
]
