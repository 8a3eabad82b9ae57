// Admin › Virtual hosts: the list with an add form, and one vhost's page (permissions, limits, delete).
import { api, itemsOf, path } from '../api.js'
import { fmtNum, fmtRate, h, rateOf, replace } from '../dom.js'
import { toast } from '../notify.js'
import { loadVhosts } from '../state.js'
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
import { limitsSection } from './limits.js'

const vhostLink = (name) => h('a', { href: `#/admin/vhosts/${encodeURIComponent(name)}` }, name)

export function vhostsPage(main) {
  const list = listView({
    path: () => 'api/vhosts',
    paginate: true,
    sort: 'name',
    empty: 'No virtual hosts',
    columns: [
      { title: 'Name', value: (v) => vhostLink(v.name), sort: 'name' },
      { title: 'Description', value: (v) => v.description ?? '' },
      { title: 'Tags', value: (v) => (v.tags ?? []).map((t) => h('span', { class: 'tag' }, t)) },
      { title: 'Ready', value: (v) => fmtNum(v.messages_ready ?? 0), className: 'num' },
      { title: 'Unacked', value: (v) => fmtNum(v.messages_unacknowledged ?? 0), className: 'num' },
      { title: 'Total', value: (v) => fmtNum(v.messages ?? 0), className: 'num' },
      { title: 'Publish', value: (v) => fmtRate(rateOf(v.message_stats, 'publish') ?? 0), className: 'num' },
      {
        title: 'Deliver / get',
        value: (v) => fmtRate(rateOf(v.message_stats, 'deliver_get') ?? 0),
        className: 'num',
      },
    ],
  })
  const name = input({ name: 'name' })
  const description = input({ name: 'description' })
  const tags = input({ name: 'tags', placeholder: 'comma separated' })
  const form = actionForm({
    className: 'add-vhost',
    submit: 'Add virtual host',
    fields: [field('Name', name), field('Description', description), field('Tags', tags)],
    async action() {
      if (!name.value) throw new Error('Give the virtual host a name.')
      await api('PUT', path`api/vhosts/${name.value}`, { description: description.value, tags: tags.value })
      const created = name.value
      for (const el of [name, description, tags]) el.value = ''
      await loadVhosts()
      await list.refresh()
      return `Virtual host '${created}' added.`
    },
  })
  adminFrame(
    main,
    'vhosts',
    h('h1', {}, 'Virtual hosts'),
    section('All virtual hosts', list.el),
    section('Add a new virtual host', form),
  )
  return { title: 'Virtual hosts', refresh: list.refresh }
}

export function vhostPage(main, name) {
  const info = h('div', { class: 'info' })
  const perms = h('div')
  const permStatus = statusBox()
  const deleteStatus = statusBox()
  const users = h('div')
  const limits = limitsSection('vhost', name)
  const refreshPerms = async () => {
    const rows = itemsOf(await api('GET', path`api/vhosts/${name}/permissions`))
    replace(perms, permissionsTable(rows, { status: permStatus, onChange: refreshPerms, show: ['user'] }))
  }
  adminFrame(
    main,
    'vhosts',
    h('h1', {}, 'Virtual host ', h('span', { class: 'name' }, name)),
    section('Overview', info),
    section('Permissions', permStatus.el, perms, h('h3', {}, 'Set permission'), users),
    section('Limits', limits.el),
    section(
      'Delete this virtual host',
      h(
        'p',
        { class: 'muted' },
        'Deleting a virtual host deletes its queues, exchanges and bindings and closes its connections.',
      ),
      actionButton('Delete virtual host', {
        className: 'danger delete',
        question: `Delete virtual host '${name}' and everything in it?`,
        status: deleteStatus,
        action: async () => {
          await api('DELETE', path`api/vhosts/${name}`)
          await loadVhosts()
          toast(`Virtual host '${name}' deleted.`)
          location.hash = '#/admin/vhosts'
        },
      }),
      deleteStatus.el,
    ),
  )
  let formShown = false
  return {
    title: `Virtual host ${name}`,
    async refresh() {
      try {
        const v = await api('GET', path`api/vhosts/${name}`)
        replace(
          info,
          facts([
            ['Description', v.description || 'none'],
            ['Tags', (v.tags ?? []).join(', ') || 'none'],
            [
              'Messages',
              `${fmtNum(v.messages ?? 0)} (${fmtNum(v.messages_ready ?? 0)} ready, ${fmtNum(v.messages_unacknowledged ?? 0)} unacked)`,
            ],
          ]),
        )
        if (!formShown) {
          const names = itemsOf(await api('GET', 'api/users')).map((u) => u.name)
          replace(users, setPermissionForm({ vhost: name, users: names, onChange: refreshPerms }))
          formShown = true
        }
        await refreshPerms()
        await limits.refresh()
      } catch (err) {
        replace(info, errorBox(err, `No virtual host '${name}'`))
      }
    },
  }
}
