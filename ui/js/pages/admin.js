// The Admin tab's sub-navigation and the permission forms its pages share.
import { api, path } from '../api.js'
import { add, h } from '../dom.js'
import { isAdmin, state } from '../state.js'
import { actionButton, actionForm, field, input, select, table } from '../widgets.js'

const PAGES = [
  ['users', 'Users', true],
  ['vhosts', 'Virtual hosts', true],
  ['permissions', 'Permissions', true],
  ['policies', 'Policies', false],
  ['definitions', 'Definitions', true],
]

/** The admin page frame: sub-navigation on the left, the page's content on the right. */
export function adminFrame(main, current, ...content) {
  const nav = h(
    'nav',
    { class: 'subnav' },
    PAGES.filter(([, , adminOnly]) => !adminOnly || isAdmin()).map(([id, label]) =>
      h('a', { href: `#/admin/${id}`, class: id === current ? 'active' : '' }, label),
    ),
  )
  add(main, h('div', { class: 'admin' }, nav, h('div', { class: 'admin-body' }, content)))
}

/** Permissions rows with a Clear button each. */
export function permissionsTable(rows, { status, onChange, show = ['user', 'vhost'] }) {
  return table(
    [
      show.includes('user')
        ? {
            title: 'User',
            value: (p) => h('a', { href: `#/admin/users/${encodeURIComponent(p.user)}` }, p.user),
          }
        : null,
      show.includes('vhost')
        ? {
            title: 'Virtual host',
            value: (p) => h('a', { href: `#/admin/vhosts/${encodeURIComponent(p.vhost)}` }, p.vhost),
          }
        : null,
      { title: 'Configure regexp', value: (p) => h('code', {}, p.configure) },
      { title: 'Write regexp', value: (p) => h('code', {}, p.write) },
      { title: 'Read regexp', value: (p) => h('code', {}, p.read) },
      {
        title: '',
        value: (p) =>
          actionButton('Clear', {
            className: 'clear-permission',
            question: `Clear the permissions of '${p.user}' in virtual host '${p.vhost}'?`,
            status,
            action: async () => {
              await api('DELETE', path`api/permissions/${p.vhost}/${p.user}`)
              await onChange()
              return `Cleared the permissions of '${p.user}' in '${p.vhost}'.`
            },
          }),
      },
    ].filter(Boolean),
    rows,
    'No permissions',
  )
}

/** Sets permissions; `user` or `vhost` fixed on their own pages, chosen from lists otherwise. */
export function setPermissionForm({ user, vhost, users = [], onChange }) {
  const userField = user ?? select('user', users, users[0])
  const vhostField =
    vhost ?? select('vhost', state.vhosts, state.vhosts.includes('/') ? '/' : state.vhosts[0])
  const configure = input({ name: 'configure', value: '.*' })
  const write = input({ name: 'write', value: '.*' })
  const read = input({ name: 'read', value: '.*' })
  return actionForm({
    className: 'set-permission',
    submit: 'Set permission',
    fields: [
      user === undefined ? field('User', userField) : null,
      vhost === undefined ? field('Virtual host', vhostField) : null,
      field('Configure regexp', configure),
      field('Write regexp', write),
      field('Read regexp', read),
    ],
    async action() {
      const u = user ?? userField.value
      const v = vhost ?? vhostField.value
      await api('PUT', path`api/permissions/${v}/${u}`, {
        configure: configure.value,
        write: write.value,
        read: read.value,
      })
      await onChange()
      return `Permissions of '${u}' in '${v}' set.`
    },
  })
}
