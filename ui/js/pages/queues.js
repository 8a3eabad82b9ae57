// Queues: the list with its add form, and one queue's page (depth chart, consumers, bindings,
// publish, get, purge, delete).
import { api, path } from '../api.js'
import {
  currentRange,
  depthPoints,
  lineChart,
  messageRatePoints,
  messageRatesChart,
  rangeQuery,
} from '../chart.js'
import { add, fmtBool, fmtBytes, fmtJson, fmtNum, fmtRate, h, link, rateOf, replace } from '../dom.js'
import { bindForm, bindingsTable, fetchItems, getForm, publishForm } from '../forms.js'
import { streamReadForm } from './stream-read.js'
import { toast } from '../notify.js'
import { currentVhost } from '../state.js'
import {
  actionButton,
  actionForm,
  errorBox,
  facts,
  features,
  field,
  input,
  keyHints,
  kvEditor,
  listView,
  section,
  statusBox,
  table,
  vhostSelect,
  durabilitySelect,
  yesNoSelect,
} from '../widgets.js'

const QUEUE_ARGS = [
  ['Message TTL', 'x-message-ttl', 'Number'],
  ['Auto expire', 'x-expires', 'Number'],
  ['Max length', 'x-max-length', 'Number'],
  ['Max length bytes', 'x-max-length-bytes', 'Number'],
  ['Overflow behaviour', 'x-overflow', 'String'],
  ['Dead letter exchange', 'x-dead-letter-exchange', 'String'],
  ['Dead letter routing key', 'x-dead-letter-routing-key', 'String'],
  ['Single active consumer', 'x-single-active-consumer', 'Boolean'],
  ['Maximum priority', 'x-max-priority', 'Number'],
  ['Lazy mode', 'x-queue-mode', 'String'],
]

export function queuesPage(main) {
  const vhost = currentVhost()
  const list = listView({
    path: () => (vhost ? path`api/queues/${vhost}` : 'api/queues'),
    paginate: true,
    sort: 'name',
    empty: 'No queues',
    columns: [
      vhost ? null : { title: 'Virtual host', value: (q) => q.vhost, sort: 'vhost' },
      {
        title: 'Name',
        value: (q) => h('a', { href: link('queues', q.vhost, q.name) }, q.name),
        sort: 'name',
      },
      { title: 'Type', value: (q) => q.type },
      { title: 'Features', value: features },
      { title: 'State', value: (q) => q.state },
      { title: 'Ready', value: (q) => fmtNum(q.messages_ready), sort: 'messages_ready', className: 'num' },
      {
        title: 'Unacked',
        value: (q) => fmtNum(q.messages_unacknowledged),
        sort: 'messages_unacknowledged',
        className: 'num',
      },
      { title: 'Total', value: (q) => fmtNum(q.messages), sort: 'messages', className: 'num' },
      { title: 'Consumers', value: (q) => fmtNum(q.consumers), sort: 'consumers', className: 'num' },
      { title: 'Incoming', value: (q) => fmtRate(rateOf(q.message_stats, 'publish') ?? 0), className: 'num' },
      {
        title: 'Deliver / get',
        value: (q) => fmtRate(rateOf(q.message_stats, 'deliver_get') ?? 0),
        className: 'num',
      },
      { title: 'Ack', value: (q) => fmtRate(rateOf(q.message_stats, 'ack') ?? 0), className: 'num' },
    ].filter(Boolean),
  })
  add(
    main,
    h('h1', {}, 'Queues'),
    section('All queues', list.el),
    section('Add a new queue', addQueueForm(list.refresh)),
  )
  return { title: 'Queues', refresh: list.refresh }
}

function addQueueForm(onAdded) {
  const vhost = vhostSelect()
  const name = input({ name: 'name', required: true })
  const durable = durabilitySelect()
  const autoDelete = yesNoSelect('auto_delete')
  const args = kvEditor()
  return actionForm({
    className: 'add-queue',
    submit: 'Add queue',
    fields: [
      field('Virtual host', vhost),
      field('Name', name),
      field('Durability', durable),
      field('Auto delete', autoDelete),
      field('Arguments', h('div', {}, args.el, keyHints(args, QUEUE_ARGS))),
    ],
    async action() {
      if (!name.value) throw new Error('Give the queue a name.')
      const body = {
        durable: durable.value === 'true',
        auto_delete: autoDelete.value === 'true',
        arguments: args.value(),
      }
      await api('PUT', path`api/queues/${vhost.value}/${name.value}`, body)
      const created = name.value
      name.value = ''
      args.reset()
      await onAdded()
      return `Queue '${created}' declared.`
    },
  })
}

export function queuePage(main, vhost, name) {
  const info = h('div', { class: 'info' })
  const depth = lineChart({
    title: 'Queued messages',
    series: [
      { key: 'ready', label: 'Ready' },
      { key: 'unacked', label: 'Unacked' },
    ],
    format: fmtNum,
    integer: true,
    onRange: () => void page.refresh(),
  })
  const rates = messageRatesChart(fmtRate, () => void page.refresh())
  const consumers = h('div')
  const bindings = h('div')
  const bindStatus = statusBox()
  const dangerStatus = statusBox()
  // A stream is read from an offset (nothing is taken from it); other queues get messages.
  const getBox = section('Get messages', getForm({ vhost, queue: name }))
  const readBox = section('Read from an offset', streamReadForm({ vhost, queue: name }))
  readBox.hidden = true
  const refreshBindings = async () => {
    const rows = await fetchItems(path`api/queues/${vhost}/${name}/bindings`)
    replace(bindings, bindingsTable(rows, { status: bindStatus, onChange: refreshBindings }))
  }
  add(
    main,
    h(
      'h1',
      {},
      'Queue ',
      h('span', { class: 'name' }, name),
      h('small', { class: 'vhost' }, ` in virtual host ${vhost}`),
    ),
    section('Overview', h('div', { class: 'overview-grid' }, depth.el, info), rates.el),
    section('Consumers', consumers),
    section(
      'Bindings',
      bindStatus.el,
      bindings,
      h('h3', {}, 'Add binding to this queue'),
      bindForm({ vhost, queue: name, onChange: refreshBindings }),
    ),
    section('Publish message', publishForm({ vhost, exchange: '', queue: name })),
    getBox,
    readBox,
    section(
      'Purge and delete',
      h(
        'div',
        { class: 'danger-zone' },
        actionButton('Purge messages', {
          className: 'warn purge',
          question: `Purge every message in queue '${name}'?`,
          status: dangerStatus,
          action: async () => {
            await api('DELETE', path`api/queues/${vhost}/${name}/contents`)
            return 'Queue purged.'
          },
        }),
        actionButton('Delete queue', {
          className: 'danger delete',
          question: `Delete queue '${name}' and its messages?`,
          status: dangerStatus,
          action: async () => {
            await api('DELETE', path`api/queues/${vhost}/${name}`)
            toast(`Queue '${name}' deleted.`)
            location.hash = '#/queues'
          },
        }),
      ),
      dangerStatus.el,
    ),
  )
  const page = {
    title: `Queue ${name}`,
    async refresh() {
      let q
      const range = currentRange()
      try {
        q = await api('GET', path`api/queues/${vhost}/${name}` + '?' + rangeQuery(range))
      } catch (err) {
        replace(info, errorBox(err, `No queue '${name}' in virtual host '${vhost}'`))
        return
      }
      depth.update(
        depthPoints({ ready: q.messages_ready_details, unacked: q.messages_unacknowledged_details }),
      )
      const ms = q.message_stats ?? {}
      rates.update(messageRatePoints(ms, range.incr))
      replace(info, queueFacts(q))
      readBox.hidden = q.type !== 'stream'
      getBox.hidden = q.type === 'stream'
      replace(consumers, consumerTable(q.consumer_details ?? []))
      await refreshBindings().catch((err) => bindStatus.error(err))
    },
  }
  return page
}

function queueFacts(q) {
  const ms = q.message_stats
  return facts([
    ['State', h('span', { class: 'badge good' }, q.state)],
    ['Type', q.type],
    ['Features', features(q)],
    ['Ready', fmtNum(q.messages_ready)],
    ['Unacked', fmtNum(q.messages_unacknowledged)],
    // Rejected messages waiting out a retry backoff (x-delayed-retry-*): not ready yet, not in the total.
    ...(q.messages_delayed > 0 ? [['Waiting to retry', fmtNum(q.messages_delayed)]] : []),
    // x-message-deduplication: keys of messages in the queue, and duplicates it did not enqueue.
    ...(q.message_deduplication_cache_info
      ? [
          [
            'Deduplication',
            `${fmtNum(q.message_deduplication_cache_info.entries)} keys held, ${fmtNum(q.messages_deduplicated)} duplicates dropped`,
          ],
        ]
      : []),
    ['Total', fmtNum(q.messages)],
    ['Message body bytes', fmtBytes(q.message_bytes)],
    ['Memory', fmtBytes(q.memory)],
    ['Consumers', fmtNum(q.consumers)],
    [
      'Rates',
      `publish ${fmtRate(rateOf(ms, 'publish') ?? 0)}, deliver/get ${fmtRate(rateOf(ms, 'deliver_get') ?? 0)}, ack ${fmtRate(rateOf(ms, 'ack') ?? 0)}`,
    ],
    ['Durable', fmtBool(q.durable)],
    ['Arguments', fmtJson(Object.keys(q.arguments ?? {}).length ? q.arguments : '') || 'none'],
    ['Policy', q.policy ?? 'none'],
    q.owner_pid_details
      ? [
          'Exclusive owner',
          h('a', { href: link('connections', q.owner_pid_details.name) }, q.owner_pid_details.name),
        ]
      : null,
  ])
}

function consumerTable(rows) {
  return table(
    [
      {
        title: 'Channel',
        value: (c) => h('a', { href: link('channels', c.channel_details.name) }, c.channel_details.name),
      },
      { title: 'Consumer tag', value: (c) => c.consumer_tag },
      { title: 'Ack required', value: (c) => fmtBool(c.ack_required) },
      { title: 'Exclusive', value: (c) => fmtBool(c.exclusive) },
      { title: 'Prefetch', value: (c) => fmtNum(c.prefetch_count), className: 'num' },
      { title: 'Active', value: (c) => fmtBool(c.active) },
    ],
    rows,
    'No consumers',
  )
}
