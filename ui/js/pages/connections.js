// Connections: the list, and one connection's page (client properties, channels, close).
import { api, path } from '../api.js'
import { add, fmtBytes, fmtJson, fmtNum, fmtTime, h, link, rateOf, replace } from '../dom.js'
import { fetchItems } from '../forms.js'
import { toast } from '../notify.js'
import { currentVhost } from '../state.js'
import { actionForm, facts, field, input, listView, section, table } from '../widgets.js'
import { channelColumns } from './channels.js'
import { askToConfirm } from '../confirm.js'

const bytesRate = (n) => `${fmtBytes(n ?? 0)}/s`

export function connectionsPage(main) {
  const vhost = currentVhost()
  const list = listView({
    path: () => (vhost ? path`api/vhosts/${vhost}/connections` : 'api/connections'),
    paginate: true,
    sort: 'name',
    empty: 'No connections',
    columns: [
      vhost ? null : { title: 'Virtual host', value: (c) => c.vhost, sort: 'vhost' },
      {
        title: 'Name',
        value: (c) => [
          h('a', { href: link('connections', c.name) }, c.name),
          c.user_provided_name ? h('small', { class: 'muted' }, ` ${c.user_provided_name}`) : null,
        ],
        sort: 'name',
      },
      { title: 'User', value: (c) => c.user, sort: 'user' },
      {
        title: 'State',
        value: (c) => h('span', { class: `badge ${c.state === 'running' ? 'good' : 'warn'}` }, c.state),
      },
      { title: 'Protocol', value: (c) => c.protocol },
      { title: 'TLS', value: (c) => (c.ssl ? 'yes' : 'no') },
      { title: 'Channels', value: (c) => fmtNum(c.channels), sort: 'channels', className: 'num' },
      { title: 'From client', value: (c) => bytesRate(rateOf(c, 'recv_oct')), className: 'num' },
      { title: 'To client', value: (c) => bytesRate(rateOf(c, 'send_oct')), className: 'num' },
    ].filter(Boolean),
  })
  add(main, h('h1', {}, 'Connections'), section('All connections', list.el))
  return { title: 'Connections', refresh: list.refresh }
}

export function connectionPage(main, name) {
  const info = h('div', { class: 'info' })
  const client = h('div')
  const channels = h('div')
  const reason = input({ name: 'reason', value: 'Closed via management plugin' })
  add(
    main,
    h('h1', {}, 'Connection ', h('span', { class: 'name' }, name)),
    section('Overview', info),
    section('Client properties', client),
    section('Channels', channels),
    section(
      'Close this connection',
      actionForm({
        className: 'close-connection',
        submit: 'Force close',
        fields: [field('Reason', reason)],
        async action() {
          const sure = await askToConfirm(`Close connection ${name}? Its clients are disconnected.`, {
            confirmLabel: 'Force close',
          })
          if (!sure) return undefined
          await api('DELETE', path`api/connections/${name}`, undefined, {
            headers: { 'x-reason': reason.value },
          })
          toast(`Connection ${name} closed.`)
          location.hash = '#/connections'
          return undefined
        },
      }),
    ),
  )
  return {
    title: `Connection ${name}`,
    async refresh() {
      let c
      try {
        c = await api('GET', path`api/connections/${name}`)
      } catch (err) {
        replace(
          info,
          h(
            'div',
            { class: 'status error' },
            err.status === 404 ? 'This connection is closed.' : err.message,
          ),
        )
        return
      }
      replace(info, connectionFacts(c))
      replace(client, clientProperties(c.client_properties ?? {}))
      const rows = await fetchItems(path`api/connections/${name}/channels`).catch(() => [])
      replace(channels, table(channelColumns(false), rows, 'No channels'))
    },
  }
}

function connectionFacts(c) {
  return facts([
    ['Virtual host', c.vhost],
    ['User', c.user],
    ['State', c.state],
    ['Protocol', c.protocol],
    ['Client', `${c.peer_host}:${c.peer_port}`],
    ['Server', `${c.host}:${c.port}`],
    ['Connected at', fmtTime(c.connected_at)],
    ['Authentication', c.auth_mechanism],
    ['Heartbeat', `${c.timeout}s`],
    ['Frame max', `${fmtNum(c.frame_max)} bytes`],
    ['Channel max', fmtNum(c.channel_max)],
    [
      'Data rates',
      `from client ${bytesRate(rateOf(c, 'recv_oct'))}, to client ${bytesRate(rateOf(c, 'send_oct'))}`,
    ],
  ])
}

function clientProperties(props) {
  const rows = Object.entries(props).filter(([k]) => k !== 'capabilities')
  const caps = Object.entries(props.capabilities ?? {})
  return facts([
    ...rows.map(([k, v]) => [k, fmtJson(v)]),
    caps.length ? ['capabilities', caps.map(([k, v]) => `${k}: ${fmtJson(v)}`).join(', ')] : null,
  ])
}
