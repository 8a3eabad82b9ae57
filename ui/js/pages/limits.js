// Limits (a vhost's max-connections and max-queues, a user's max-connections and max-channels) and a
// user's topic permissions, as sections of the vhost and user pages. A negative limit means no limit.
import { api, itemsOf, path } from '../api.js'
import { h, replace } from '../dom.js'
import { state } from '../state.js'
import { actionButton, actionForm, field, input, select, statusBox, table } from '../widgets.js'

const NAMES = { vhost: ['max-connections', 'max-queues'], user: ['max-connections', 'max-channels'] }

/** The limits of a vhost (`kind` 'vhost') or a user ('user'): a table with Clear buttons, and a form. */
export function limitsSection(kind, name) {
  const status = statusBox()
  const rows = h('div')
  const base = kind === 'vhost' ? path`api/vhost-limits/${name}` : path`api/user-limits/${name}`
  const refresh = async () => {
    const value = itemsOf(await api('GET', base))[0]?.value ?? {}
    const limits = Object.entries(Array.isArray(value) ? {} : value).map(([limit, v]) => ({ limit, v }))
    replace(
      rows,
      table(
        [
          { title: 'Limit', value: (l) => l.limit },
          { title: 'Value', value: (l) => String(l.v), className: 'num' },
          {
            title: '',
            value: (l) =>
              actionButton('Clear', {
                className: 'clear-limit',
                status,
                action: async () => {
                  await api('DELETE', `${base}/${encodeURIComponent(l.limit)}`)
                  await refresh()
                  return `Cleared ${l.limit}.`
                },
              }),
          },
        ],
        limits,
        'No limits',
      ),
    )
  }
  const limit = select('limit', NAMES[kind], NAMES[kind][0])
  const value = input({ name: 'value', type: 'number', step: '1' })
  const form = actionForm({
    className: `set-${kind}-limit`,
    submit: 'Set limit',
    fields: [field('Limit', limit), field('Value', value, 'a negative value means no limit')],
    async action() {
      if (value.value === '') throw new Error('Give the limit a value.')
      await api('PUT', `${base}/${encodeURIComponent(limit.value)}`, { value: Number(value.value) })
      value.value = ''
      await refresh()
      return `${limit.value} set.`
    },
  })
  return { el: [status.el, rows, h('h3', {}, 'Set limit'), form], refresh }
}

/** A user's topic permissions in every vhost, with Clear buttons, and a form to set one. */
export function topicPermissionsSection(user) {
  const status = statusBox()
  const rows = h('div')
  const refresh = async () => {
    const list = itemsOf(await api('GET', path`api/users/${user}/topic-permissions`))
    replace(
      rows,
      table(
        [
          {
            title: 'Virtual host',
            value: (p) => h('a', { href: `#/admin/vhosts/${encodeURIComponent(p.vhost)}` }, p.vhost),
          },
          { title: 'Exchange', value: (p) => p.exchange },
          { title: 'Write regexp', value: (p) => h('code', {}, p.write) },
          { title: 'Read regexp', value: (p) => h('code', {}, p.read) },
          {
            title: '',
            value: (p) =>
              actionButton('Clear', {
                className: 'clear-topic-permission',
                question: `Clear the topic permission of '${user}' on '${p.exchange}' in '${p.vhost}'?`,
                status,
                action: async () => {
                  await api('DELETE', path`api/topic-permissions/${p.vhost}/${user}/${p.exchange}`)
                  await refresh()
                  return `Cleared the topic permission on '${p.exchange}' in '${p.vhost}'.`
                },
              }),
          },
        ],
        list,
        'No topic permissions',
      ),
    )
  }
  const vhost = select('vhost', state.vhosts, state.vhosts.includes('/') ? '/' : state.vhosts[0])
  const exchange = input({ name: 'exchange', value: 'amq.topic' })
  const write = input({ name: 'write', value: '.*' })
  const read = input({ name: 'read', value: '.*' })
  const form = actionForm({
    className: 'set-topic-permission',
    submit: 'Set topic permission',
    fields: [
      field('Virtual host', vhost),
      field('Exchange', exchange, 'a topic exchange'),
      field('Write regexp', write, '{username} and {vhost} stand for the user and the vhost'),
      field('Read regexp', read),
    ],
    async action() {
      await api('PUT', path`api/topic-permissions/${vhost.value}/${user}`, {
        exchange: exchange.value,
        write: write.value,
        read: read.value,
      })
      await refresh()
      return `Topic permission of '${user}' on '${exchange.value}' in '${vhost.value}' set.`
    },
  })
  return { el: [status.el, rows, h('h3', {}, 'Set topic permission'), form], refresh }
}
