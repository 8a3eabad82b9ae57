// Admin › Users: the list with an add form, and one user's page (tags, password, permissions, topic
// permissions, limits, delete).
import { api, itemsOf, path } from '../api.js'
import { h, replace } from '../dom.js'
import { toast } from '../notify.js'
import { loadVhosts, user as me } from '../state.js'
import {
  actionButton,
  actionForm,
  facts,
  field,
  input,
  listView,
  section,
  statusBox,
  errorBox,
} from '../widgets.js'
import { adminFrame, permissionsTable, setPermissionForm } from './admin.js'
import { limitsSection, topicPermissionsSection } from './limits.js'

const TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator']

/** A tags input with RabbitMQ's quick links: "Set: Admin | Monitoring | ... | None". */
function tagsField(value = '') {
  const tags = input({ name: 'tags', value, placeholder: 'comma separated', class: 'wide' })
  const quick = h(
    'div',
    { class: 'hints' },
    'Set: ',
    [...TAGS, 'none'].map((t, i) => [
      i ? ' | ' : '',
      h('a', { href: '#', onclick: (ev) => (ev.preventDefault(), (tags.value = t === 'none' ? '' : t)) }, t),
    ]),
  )
  return { tags, el: h('div', {}, tags, quick) }
}

const tagList = (tags) => (Array.isArray(tags) ? tags : String(tags ?? '').split(',')).filter(Boolean)

export function usersPage(main) {
  let perms = []
  const list = listView({
    path: () => 'api/users',
    sort: 'name',
    empty: 'No users',
    columns: [
      {
        title: 'Name',
        value: (u) => h('a', { href: `#/admin/users/${encodeURIComponent(u.name)}` }, u.name),
        sort: 'name',
      },
      { title: 'Tags', value: (u) => tagList(u.tags).map((t) => h('span', { class: 'tag' }, t)) },
      {
        title: 'Can access virtual hosts',
        value: (u) =>
          perms
            .filter((p) => p.user === u.name)
            .map((p) => p.vhost)
            .join(', ') || 'No access',
      },
      { title: 'Has password', value: (u) => (u.password_hash ? 'yes' : 'no') },
    ],
  })
  const refresh = async () => {
    perms = itemsOf(await api('GET', 'api/permissions').catch(() => []))
    await list.refresh()
  }
  adminFrame(
    main,
    'users',
    h('h1', {}, 'Users'),
    section('All users', list.el),
    section('Add a user', addUserForm(refresh)),
  )
  return { title: 'Users', refresh }
}

function addUserForm(onAdded) {
  const name = input({ name: 'username', autocomplete: 'off' })
  const password = input({ name: 'password', type: 'password', autocomplete: 'new-password' })
  const again = input({ name: 'password2', type: 'password', autocomplete: 'new-password' })
  const tags = tagsField()
  return actionForm({
    className: 'add-user',
    submit: 'Add user',
    fields: [
      field('Username', name),
      field('Password', password),
      field('Password (again)', again),
      field('Tags', tags.el),
    ],
    async action() {
      if (!name.value) throw new Error('Give the user a name.')
      if (password.value !== again.value) throw new Error('The passwords do not match.')
      await api('PUT', path`api/users/${name.value}`, { password: password.value, tags: tags.tags.value })
      const created = name.value
      for (const el of [name, password, again, tags.tags]) el.value = ''
      await onAdded()
      return `User '${created}' added.`
    },
  })
}

export function userPage(main, name) {
  const info = h('div', { class: 'info' })
  const perms = h('div')
  const permStatus = statusBox()
  const deleteStatus = statusBox()
  const tags = tagsField()
  const password = input({
    name: 'password',
    type: 'password',
    autocomplete: 'new-password',
    placeholder: 'leave empty to keep the password',
  })
  const topic = topicPermissionsSection(name)
  const limits = limitsSection('user', name)
  let current
  let filled = false // the tags field is filled once, so a refresh never overwrites an edit
  const refreshPerms = async () => {
    const rows = itemsOf(await api('GET', path`api/users/${name}/permissions`))
    replace(perms, permissionsTable(rows, { status: permStatus, onChange: refreshPerms, show: ['vhost'] }))
  }
  adminFrame(
    main,
    'users',
    h('h1', {}, 'User ', h('span', { class: 'name' }, name)),
    section('Overview', info),
    section(
      'Permissions',
      permStatus.el,
      perms,
      h('h3', {}, 'Set permission'),
      setPermissionForm({ user: name, onChange: refreshPerms }),
    ),
    section('Topic permissions', topic.el),
    section('Limits', limits.el),
    section(
      'Update this user',
      actionForm({
        className: 'update-user',
        submit: 'Update user',
        fields: [field('Tags', tags.el), field('Password', password)],
        async action() {
          // PUT replaces the user: keep the password by sending its hash back when none is given.
          const body = password.value
            ? { password: password.value }
            : { password_hash: current?.password_hash ?? '' }
          await api('PUT', path`api/users/${name}`, { ...body, tags: tags.tags.value })
          password.value = ''
          filled = false
          await loadUser()
          return `User '${name}' updated.`
        },
      }),
    ),
    section(
      'Delete this user',
      actionButton('Delete user', {
        className: 'danger delete',
        question:
          name === me() ? `Delete '${name}', the user you are logged in as?` : `Delete user '${name}'?`,
        status: deleteStatus,
        action: async () => {
          await api('DELETE', path`api/users/${name}`)
          toast(`User '${name}' deleted.`)
          location.hash = '#/admin/users'
        },
      }),
      deleteStatus.el,
    ),
  )
  async function loadUser() {
    current = await api('GET', path`api/users/${name}`)
    const t = tagList(current.tags)
    replace(
      info,
      facts([
        ['Tags', t.length ? t.join(', ') : 'none'],
        ['Has password', current.password_hash ? 'yes' : 'no'],
        ['Hashing', current.hashing_algorithm ?? ''],
      ]),
    )
    if (!filled) tags.tags.value = t.join(',')
    filled = true
  }
  return {
    title: `User ${name}`,
    async refresh() {
      try {
        await loadVhosts()
        await loadUser()
        await refreshPerms()
        await topic.refresh()
        await limits.refresh()
      } catch (err) {
        replace(info, errorBox(err, `No user '${name}'`))
      }
    },
  }
}
