// Channels: the list and one channel's page (prefetch, unacked, rates, consumers).
import { api, path } from '../api.js'
import { add, fmtBool, fmtNum, fmtRate, h, link, rateOf, replace } from '../dom.js'
import { fetchItems } from '../forms.js'
import { currentVhost } from '../state.js'
import { facts, listView, section, table } from '../widgets.js'

const mode = (ch) => [
  ch.confirm ? h('abbr', { title: 'confirm' }, 'C') : null,
  ch.transactional ? h('abbr', { title: 'transactional' }, 'T') : null,
]

/** Columns shared by the channels list and a connection's channels table. */
export function channelColumns(withVhost) {
  const rate = (ch, k) => fmtRate(rateOf(ch.message_stats, k) ?? 0)
  return [
    withVhost ? { title: 'Virtual host', value: (ch) => ch.vhost, sort: 'vhost' } : null,
    { title: 'Channel', value: (ch) => h('a', { href: link('channels', ch.name) }, ch.name), sort: 'name' },
    { title: 'User', value: (ch) => ch.user },
    { title: 'Mode', value: (ch) => h('span', { class: 'features' }, mode(ch)) },
    { title: 'State', value: (ch) => ch.state },
    { title: 'Prefetch', value: (ch) => fmtNum(ch.prefetch_count), className: 'num' },
    {
      title: 'Unacked',
      value: (ch) => fmtNum(ch.messages_unacknowledged),
      sort: 'messages_unacknowledged',
      className: 'num',
    },
    { title: 'Consumers', value: (ch) => fmtNum(ch.consumer_count), className: 'num' },
    { title: 'Publish', value: (ch) => rate(ch, 'publish'), className: 'num' },
    { title: 'Deliver / get', value: (ch) => rate(ch, 'deliver_get'), className: 'num' },
    { title: 'Ack', value: (ch) => rate(ch, 'ack'), className: 'num' },
  ].filter(Boolean)
}

export function channelsPage(main) {
  const vhost = currentVhost()
  const list = listView({
    path: () => (vhost ? path`api/vhosts/${vhost}/channels` : 'api/channels'),
    paginate: true,
    sort: 'name',
    empty: 'No channels',
    columns: channelColumns(!vhost),
  })
  add(main, h('h1', {}, 'Channels'), section('All channels', list.el))
  return { title: 'Channels', refresh: list.refresh }
}

export function channelPage(main, name) {
  const info = h('div', { class: 'info' })
  const consumers = h('div')
  add(
    main,
    h('h1', {}, 'Channel ', h('span', { class: 'name' }, name)),
    section('Overview', info),
    section('Consumers', consumers),
  )
  return {
    title: `Channel ${name}`,
    async refresh() {
      let ch
      try {
        ch = await api('GET', path`api/channels/${name}`)
      } catch (err) {
        replace(
          info,
          h('div', { class: 'status error' }, err.status === 404 ? 'This channel is closed.' : err.message),
        )
        return
      }
      const rate = (k) => fmtRate(rateOf(ch.message_stats, k) ?? 0)
      replace(
        info,
        facts([
          [
            'Connection',
            h('a', { href: link('connections', ch.connection_details.name) }, ch.connection_details.name),
          ],
          ['Virtual host', ch.vhost],
          ['User', ch.user],
          ['State', ch.state],
          ['Confirm mode', fmtBool(ch.confirm)],
          ['Transactional', fmtBool(ch.transactional)],
          ['Prefetch count', fmtNum(ch.prefetch_count)],
          ['Global prefetch count', fmtNum(ch.global_prefetch_count)],
          ['Unacked', fmtNum(ch.messages_unacknowledged)],
          [
            'Rates',
            `publish ${rate('publish')}, confirm ${rate('confirm')}, deliver/get ${rate('deliver_get')}, ack ${rate('ack')}`,
          ],
        ]),
      )
      // The API's channel object has no consumer_details: pick this channel's from the vhost's consumers.
      const all = await fetchItems(path`api/consumers/${ch.vhost}`).catch(() => [])
      const mine = all.filter((c) => c.channel_details?.name === name)
      replace(
        consumers,
        table(
          [
            {
              title: 'Queue',
              value: (c) => h('a', { href: link('queues', c.queue.vhost, c.queue.name) }, c.queue.name),
            },
            { title: 'Consumer tag', value: (c) => c.consumer_tag },
            { title: 'Ack required', value: (c) => fmtBool(c.ack_required) },
            { title: 'Exclusive', value: (c) => fmtBool(c.exclusive) },
            { title: 'Prefetch', value: (c) => fmtNum(c.prefetch_count), className: 'num' },
          ],
          mine,
          'No consumers',
        ),
      )
    },
  }
}
